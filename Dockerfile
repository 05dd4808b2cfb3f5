# Gatehouse image: compiled once in a build stage, run as an unprivileged user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# argon2 and better-sqlite3 compile their native parts on install.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY bin ./bin
COPY migrations ./migrations
# `npm ci` builds through the prepare script: tsc, then the server bundle (dist/gatehouse.mjs and dist/chunks/).
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/data KEYS_DIR=/app/keys
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
# dist/ holds the bundle the server runs and dist/src/, which the idp tool and the SQLite thread load.
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY views ./views
COPY public ./public
COPY resources ./resources
RUN mkdir -p /app/data /app/keys && chown node:node /app/data /app/keys && chmod 700 /app/data /app/keys
USER node
EXPOSE 3000
VOLUME ["/app/data", "/app/keys"]
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/gatehouse.mjs"]
