/** The start-up and `rollbot validate` check of Google credentials: files only, no network call. */
import { describe, expect, it } from 'vitest';
import { vertexCredentialProblems } from '../../../src/serving/vertex/credentials.js';

const KEY_PATH = '/var/run/secrets/google/key.json';

function files(contents: Record<string, string>) {
  return (path: string): string => {
    const content = contents[path];
    if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return content;
  };
}

describe('the Vertex credentials check', () => {
  it('says nothing of a readable service account key file', () => {
    const key = JSON.stringify({ type: 'service_account', client_email: 'a@b', private_key: 'pem' });
    expect(
      vertexCredentialProblems({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, files({ [KEY_PATH]: key })),
    ).toEqual([]);
  });

  it('warns of a key file that cannot be read, naming it and the fix', () => {
    expect(vertexCredentialProblems({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, files({}))).toEqual([
      {
        missing: `no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is set to ${KEY_PATH}, which cannot be read (ENOENT: no such file or directory, open '${KEY_PATH}')`,
        fix: expect.stringMatching(/^point GOOGLE_APPLICATION_CREDENTIALS at a service account key file/),
      },
    ]);
  });

  it('warns of a key file of a type rollbot does not read, without quoting its contents', () => {
    const file = JSON.stringify({
      type: 'external_account',
      credential_source: { file: '/token-source-xyz' },
    });
    const [problem] = vertexCredentialProblems(
      { GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH },
      files({ [KEY_PATH]: file }),
    );
    expect(problem?.level).toBeUndefined();
    expect(problem?.missing).toContain('is of type "external_account"');
    expect(problem?.missing).not.toContain('token-source-xyz');
  });

  it('notes, without warning, that the metadata server will be asked when no key file is set', () => {
    expect(vertexCredentialProblems({ GOOGLE_APPLICATION_CREDENTIALS: ' ' }, files({}))).toEqual([
      {
        level: 'note',
        missing:
          "GOOGLE_APPLICATION_CREDENTIALS is not set: rollbot will ask the metadata server (metadata.google.internal) for its service account's token, which is not checked without a network call",
        fix: expect.stringContaining('GKE with Workload Identity'),
      },
    ]);
  });
});
