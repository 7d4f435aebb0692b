# syntax=docker/dockerfile:1.7
# One image per deployable, chosen with a build argument:
#   docker build --build-arg APP=cart -t cart .       a service (any folder of apps/)
#   docker build --build-arg APP=migrate -t migrate .  the migration job (Terraform: google_cloud_run_v2_job.migrate)
# The build stage bundles the app (scripts/build.ts, through scripts/deploy/package-app.ts; for email and push
# also their Cloud Run function entry point, dist/apps/<app>/function.js) and installs only the npm packages
# the bundles import, at the lockfile's versions; the runtime stage gets that folder alone.
# scripts/deploy/package-app.test.ts runs this build stage's packaging command and starts the result the way
# the runtime stage and the CMD below do (WORKDIR, ENV, user, command), against PostgreSQL.

ARG NODE_IMAGE=node:24-bookworm-slim
ARG APP

FROM ${NODE_IMAGE} AS build
WORKDIR /repo
ENV CI=true NX_DAEMON=false NX_NO_CLOUD=true
# The install layer depends only on the manifests and what postinstall reads (the Prisma schema, which
# generates the client into libs/db/src/generated), so source changes reuse it.
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma.config.ts ./
COPY prisma/schema prisma/schema
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
ARG APP
RUN test -n "$APP" || { echo 'usage: docker build --build-arg APP=<app|migrate> .' >&2; exit 2; }
# Uses the Node 24 that npm ci installed (node_modules/.bin), the same Node the tests run on.
RUN PATH="/repo/node_modules/.bin:$PATH" node scripts/deploy/package-app.ts "$APP" /out

FROM ${NODE_IMAGE} AS runtime
# npm, npx and corepack are not needed to run a bundle; removing them removes their vulnerabilities too.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
# No NODE_OPTIONS=--enable-source-maps: each bundle's main.js turns source maps on for the bundle alone
# (scripts/build.ts), not for every package in node_modules.
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
# Owned by root and read-only to the process: the service cannot rewrite its own code.
COPY --from=build --chown=root:root /out /app
# The `node` user (uid 1000) of the official image: never root.
USER node
EXPOSE 8080
# node is PID 1 (exec-form CMD, no npm; the base image's docker-entrypoint.sh only execs it): it receives
# Cloud Run's SIGTERM and drains itself.
STOPSIGNAL SIGTERM

# One stage per deployable, so that each CMD is a literal exec form; the last FROM picks the one named by APP.
FROM runtime AS app-order
CMD ["node", "dist/apps/order/main.js"]

FROM runtime AS app-product
CMD ["node", "dist/apps/product/main.js"]

FROM runtime AS app-inventory
CMD ["node", "dist/apps/inventory/main.js"]

FROM runtime AS app-notification
CMD ["node", "dist/apps/notification/main.js"]

FROM runtime AS app-email
CMD ["node", "dist/apps/email/main.js"]

FROM runtime AS app-cart
CMD ["node", "dist/apps/cart/main.js"]

FROM runtime AS app-customer
CMD ["node", "dist/apps/customer/main.js"]

FROM runtime AS app-push
CMD ["node", "dist/apps/push/main.js"]

FROM runtime AS app-storefront
CMD ["node", "dist/apps/storefront/main.js"]

FROM runtime AS app-migrate
CMD ["node", "dist/apps/migrate/main.js"]

FROM app-${APP}
