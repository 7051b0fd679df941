# The rtc-sfu server image: one Node process serving HTTP and the signaling WebSocket,
# with mediasoup workers (one per core) carrying the SFU's UDP media. Configuration comes only from the environment (README.md,
# "Configuration"; deploy/README.md for the cluster settings).
#
#   docker build -t rtc-sfu .
#   docker run --rm -p 8080:8080 -p 40000-40100:40000-40100/udp \
#     -e JWT_SECRET=... -e RTC_ANNOUNCED_IP=<address browsers reach> rtc-sfu
#
# tests/deploy/ runs this file's build-stage commands and its ENTRYPOINT + CMD outside a
# container engine, so keep every RUN a plain shell command.

# ---- build: the same bundle `npm start` serves, then production dependencies only ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
# .npmrc turns install scripts off (mediasoup's would download its worker or a toolchain).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
# The mediasoup worker, built from the npm package's own sources against Debian's
# libraries (scripts/mediasoup/README.md): the script apt-installs its toolchain and takes
# about 10 minutes on 2 cores. Before `COPY . .`, so a change to the app's sources reuses
# this layer; only a new mediasoup version or recipe builds again.
COPY scripts/mediasoup scripts/mediasoup
RUN node scripts/mediasoup/build.mjs
# .dockerignore lets in only the sources the build needs.
COPY . .
RUN node scripts/build.mjs
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:24-bookworm-slim AS runtime
# tini as PID 1 forwards SIGTERM to node (which drains, then exits) and reaps zombies.
# The rest are what the mediasoup worker links against (libsrtp2 brings NSS with it).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini libuv1 libssl3 libsrtp2-1 libabsl20220623 \
 && rm -rf /var/lib/apt/lists/*
# Defaults only: every one can be overridden at `docker run -e` / in the manifests.
# The UDP range matches EXPOSE below; a host running several containers gives each its own.
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    RTC_MIN_PORT=40000 \
    RTC_MAX_PORT=40100
WORKDIR /app
# Owned by root and read-only to the server: it never writes to its own directory.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The `node` user (uid 1000) ships with the official image.
USER node
EXPOSE 8080/tcp 40000-40100/udp
# Slim images have no curl: node asks /healthz itself, over HTTPS when TLS is configured.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "const e=process.env,tls=!!e.TLS_CERT||/^(true|1|yes)$/.test(e.TLS_SELF_SIGNED||'');require(tls?'https':'http').get({host:'127.0.0.1',port:e.PORT||8080,path:'/healthz',timeout:2500,rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
