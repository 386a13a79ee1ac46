# Runway, embedded default (ClickHouse in-process through chDB; data under /app/data).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY sql ./sql
COPY jobs ./jobs
COPY scenarios ./scenarios
COPY bin ./bin
COPY ui ./ui
# npm workspaces: npm ci needs every workspace (packages/sdk, built when packed; ui, built by `prepare`).
COPY packages ./packages
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
ENV RUNWAY_HOST=0.0.0.0 RUNWAY_PORT=8080 RUNWAY_DATA_DIR=/app/data
EXPOSE 8080
CMD ["node", "bin/runway.js", "serve"]
