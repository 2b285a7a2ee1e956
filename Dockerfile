# rollbot: build with dev dependencies, run with production ones only, as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `prepare` compiles src/ into dist/.
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 RUNBOOKS_DIR=/app/runbooks
# Memory (bench/README.md, "memory"). Without a ceiling V8 sizes its heap from the machine's memory (at best
# the container's whole limit) and lets a burst's garbage pile up to ~100 MB before a full GC: RSS 160–200 MB
# after 100,000 alerts, and an OOM kill instead of a GC when the limit is near. 384 MB is 3/4 of the
# Deployment's 512Mi limit (deploy/kubernetes/rollbot.yaml; a test keeps them in step), 13× the ~28 MB live
# heap. An 8 MB semi-space (V8's young generation: fewer scavenges under a storm, ingest 0.24× bare against 0.19×
# with 2 MB, for ~14 MB more RSS; bench/README.md F22) and two malloc arenas. The bench runs rollbot with this line.
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=384" MALLOC_ARENA_MAX=2
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
