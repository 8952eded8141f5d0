# One image for the API, the worker and the simulator; the command picks the role
# (docker-compose.yml: node dist/src/{api,worker,simulator}/main.js).

# Build: compile TypeScript and prebuild the workflow bundle, so the worker never runs webpack at start.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies and the build output only, run as the image's unprivileged `node` user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the only ones left (swc's binary check, a protobufjs version notice) do nothing at run time.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# API, worker metrics, simulator.
EXPOSE 3000 9464 3100
CMD ["node", "dist/src/api/main.js"]
