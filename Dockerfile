# The workflow engine image: `wfctl` is the entrypoint (`wfctl run CONFIG` for apps, `wfctl operator`
# for the operator). Published by .github/workflows/image.yml as ghcr.io/<owner>/workflow-engine:<version>.
#
# Stage 1 builds dist/ (npm ci runs the build, `prepare`) with the dev dependencies; stage 2 installs
# the production dependencies only (better-sqlite3 compiles there, against the same Node); the
# runtime stage gets both, runs as a non-root user and holds no compiler, sources or dev dependencies.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci

FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: no prepare (the build comes from stage 1); better-sqlite3's own build runs after
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 && npm cache clean --force

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json README.md ./
COPY bin/wfctl.js ./bin/wfctl.js
COPY schema ./schema
COPY crds ./crds
COPY operator/deploy ./operator/deploy
RUN ln -s /app/bin/wfctl.js /usr/local/bin/wfctl
# the distroless "nonroot" uid, as operator/deploy's securityContext expects
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["wfctl"]
CMD ["--help"]
