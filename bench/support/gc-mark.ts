/** The stderr line prefix behind which gc-preload.ts prints memoryUsage() after a forced GC. */
export const GC_MARK = 'rollbot-bench:memory ';
