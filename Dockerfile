# rollbot: build with dev dependencies, run with production ones only, as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `prepare` compiles src/ into dist/.
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 RUNBOOKS_DIR=/app/runbooks
# Memory (bench/README.md, "memory"): a 2 MB young-generation semi-space and two malloc arenas keep RSS near
# 110 MB after 100,000 alerts instead of 160–180 MB (V8 and glibc otherwise keep what a burst made them grow).
# The bench runs rollbot with exactly this line.
ENV NODE_OPTIONS=--max-semi-space-size=2 MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` needs the TypeScript compiler, which production does not install.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY runbooks ./runbooks
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM stops taking work, waits for in-flight deadline handlers and closes Redis.
CMD ["node", "dist/main.js"]
