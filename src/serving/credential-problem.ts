/**
 * Something a serving layer needs from its platform that is not there where rollbot runs (Kubernetes
 * credentials, an AWS region), found without a network call: for `rollbot validate` and the start-up warnings,
 * so that it is heard before the first rollback through that layer fails at 2am.
 */
export interface CredentialProblem {
  /** What is missing, as the adapter would refuse it (`no Kubernetes credentials: …`). */
  missing: string;
  /** How to fix it. */
  fix: string;
  /**
   * `note` when a source the check cannot see without a network call (the EC2 instance metadata service) may
   * still give it: said, so that an operator off EC2 hears it, but not warned of as missing. Default: a warning.
   */
  level?: 'note';
}
