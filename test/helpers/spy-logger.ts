import { vi } from 'vitest';
import type { Logger } from '../../src/engine/ports.js';

/** A Logger that records its calls: a vi.fn spy at every level, its children itself. */
export function spyLogger(): Logger & Record<'debug' | 'info' | 'warn' | 'error', ReturnType<typeof vi.fn>> {
  const logger = {
    debug: vi.fn(),
    info: vi.fn(),
    warn: vi.fn(),
    error: vi.fn(),
    child: () => logger,
  };
  return logger;
}
