import { describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH, webUrl } from '../../src/core/links.js';

describe('webUrl', () => {
  it('keeps absolute http(s) URLs and nothing else', () => {
    expect(webUrl('https://grafana.example.com/d/fraud?from=now-1h')).toBe(
      'https://grafana.example.com/d/fraud?from=now-1h',
    );
    expect(webUrl('http://prometheus:9090/graph?g0.expr=up')).toBe('http://prometheus:9090/graph?g0.expr=up');
    expect(webUrl('javascript:alert(1)')).toBeUndefined();
    expect(webUrl('/graph?g0.expr=up')).toBeUndefined();
    expect(webUrl('')).toBeUndefined();
    expect(webUrl(undefined)).toBeUndefined();
    expect(webUrl(`https://x.test/${'a'.repeat(MAX_URL_LENGTH)}`)).toBeUndefined();
  });
});
