/** SEV-1 (worst) to SEV-4. */
export type Severity = 1 | 2 | 3 | 4;

export interface SeverityMapping {
  /** The alert label that carries the severity. */
  label: string;
  /** Label value (compared case-insensitively) → severity. */
  map: Record<string, Severity>;
  /** Used when the label is missing or its value is not in the map. */
  default: Severity;
}

/** Alertmanager and Grafana conventions, plus `sev1`…`sev4` and bare `1`…`4`. */
export const DEFAULT_SEVERITY_MAPPING: SeverityMapping = {
  label: 'severity',
  map: {
    critical: 1,
    page: 1,
    'sev-1': 1,
    sev1: 1,
    '1': 1,
    high: 2,
    error: 2,
    major: 2,
    'sev-2': 2,
    sev2: 2,
    '2': 2,
    warning: 3,
    warn: 3,
    medium: 3,
    'sev-3': 3,
    sev3: 3,
    '3': 3,
    info: 4,
    low: 4,
    'sev-4': 4,
    sev4: 4,
    '4': 4,
  },
  default: 3,
};

/** Reads an alert's severity: the one its sender stated (`stated`, generic alerts), else its mapping's label. */
export function severityOf(
  labels: Readonly<Record<string, string>>,
  mapping: SeverityMapping,
  stated?: string,
): Severity {
  const value = (stated ?? labels[mapping.label])?.trim().toLowerCase();
  if (value === undefined) return mapping.default;
  // Own keys only: a label value like "constructor" must not find Object.prototype's members.
  return Object.hasOwn(mapping.map, value) ? (mapping.map[value] ?? mapping.default) : mapping.default;
}

/** The worse (lower-numbered) of two severities. */
export function worstSeverity(a: Severity, b: Severity): Severity {
  return a < b ? a : b;
}

export function formatSeverity(severity: Severity): string {
  return `SEV-${severity}`;
}
