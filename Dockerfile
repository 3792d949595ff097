# syntax=docker/dockerfile:1
#
# One image for every Switchyard service. The command picks the service:
#   node --enable-source-maps services/<svc>/dist/main.js    svc ∈ edge, normalizer, delivery, request, hub
# (docker-compose.yml sets it per container; the default runs the hub, all services in one process).
# Services run alone need NATS_URL; see docs/deployment.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- manifests: only what `npm ci` needs, so dependency layers stay cached across source edits ----
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY contracts/package.json contracts/
COPY services/runtime/kernel/package.json services/runtime/kernel/
COPY services/runtime/bus/package.json services/runtime/bus/
COPY services/runtime/mapping/package.json services/runtime/mapping/
COPY services/runtime/stores/package.json services/runtime/stores/
COPY services/runtime/provider-auth/package.json services/runtime/provider-auth/
COPY services/runtime/provider-client/package.json services/runtime/provider-client/
COPY services/runtime/nats-server/package.json services/runtime/nats-server/
COPY services/runtime/assembly/package.json services/runtime/assembly/
COPY services/edge/package.json services/edge/
COPY services/normalizer/package.json services/normalizer/
COPY services/delivery/package.json services/delivery/
COPY services/request/package.json services/request/
COPY services/hub/package.json services/hub/
COPY test/package.json test/

# ---- build: all dependencies, compile every project with `tsc -b` ----
FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY contracts/ contracts/
COPY services/ services/
COPY mappings/ mappings/
COPY test/ test/
# Ship only each workspace's manifest and compiled output, in the repository's layout.
RUN npx tsc -b \
 && for dir in contracts services/*/ services/runtime/*/; do \
      dir="${dir%/}"; [ -f "$dir/package.json" ] || continue; \
      mkdir -p "/ship/$dir" && cp "$dir/package.json" "/ship/$dir/" && cp -r "$dir/dist" "/ship/$dir/dist"; \
    done

# ---- prod-deps: production dependencies of the shipped workspaces only (no test, no dev tools) ----
FROM manifests AS prod-deps
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      -w @switchyard/contracts -w @switchyard/kernel -w @switchyard/bus -w @switchyard/mapping \
      -w @switchyard/stores -w @switchyard/provider-auth -w @switchyard/provider-client \
      -w @switchyard/nats-server -w @switchyard/runtime -w @switchyard/edge -w @switchyard/normalizer \
      -w @switchyard/delivery -w @switchyard/request -w @switchyard/hub \
 && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SWITCHYARD_DATA_DIR=/data
WORKDIR /app

# node_modules holds relative symlinks (node_modules/@switchyard/* -> ../../services/*), so the
# repository layout is kept: /app/contracts, /app/services/<pkg>/dist, /app/mappings.
# Everything is owned by root and read-only for the `node` user that runs the process.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /ship/ ./
# Provider definitions are data, read at run time from services/runtime/mapping/dist/../../../../mappings.
COPY --from=build /app/mappings mappings/

# Only the hub writes here (generated secrets when they are not in the environment).
RUN mkdir -p /data && chown node:node /data

USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "services/hub/dist/main.js"]
