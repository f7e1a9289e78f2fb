// Drives a running vestibule with Auth0's official Node SDK (auth0@7.1.0).
//
// Env: VESTIBULE_DOMAIN (e.g. "localhost:8443"), CLIENT_ID, CLIENT_SECRET
// (a client granted the Management API). The SDK always speaks HTTPS to
// `https://${domain}`; trust a test CA with NODE_EXTRA_CA_CERTS.
//
// Prints one line per check; exits non-zero on the first failure.

import assert from "node:assert/strict";
import { ManagementClient } from "auth0";

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const management = new ManagementClient({
  domain: env("VESTIBULE_DOMAIN"),
  clientId: env("CLIENT_ID"),
  clientSecret: env("CLIENT_SECRET"),
});

let step = "start";
function ok(message) {
  console.log(`ok - ${message}`);
}

/** All items of an SDK Page (follows `next` checkpoints). */
async function all(pagePromise) {
  const items = [];
  for await (const item of await pagePromise) {
    items.push(item);
  }
  return items;
}

async function main() {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

  step = "clients.create";
  const client = await management.clients.create({
    name: `SDK web app ${suffix}`,
    app_type: "regular_web",
    callbacks: ["https://app.example.com/callback"],
  });
  assert.ok(client.client_id, "created client has a client_id");
  assert.ok(client.client_secret, "a regular_web client gets a secret");
  assert.deepEqual(client.callbacks, ["https://app.example.com/callback"]);
  ok(`clients.create (token obtained implicitly) -> ${client.client_id}`);

  step = "clients.get";
  const read = await management.clients.get(client.client_id);
  assert.equal(read.client_id, client.client_id);
  assert.equal(read.name, `SDK web app ${suffix}`);
  assert.equal(read.app_type, "regular_web");
  assert.deepEqual(read.callbacks, ["https://app.example.com/callback"]);
  ok("clients.get returns the client as created");

  step = "connections.create (database)";
  const database = await management.connections.create({
    name: `sdk-db-${suffix}`,
    strategy: "auth0",
  });
  assert.ok(database.id, "database connection has an id");
  assert.equal(database.strategy, "auth0");
  ok(`connections.create database -> ${database.id}`);

  step = "connections.create (google-oauth2)";
  const google = await management.connections.create({
    name: `sdk-google-${suffix}`,
    strategy: "google-oauth2",
    options: {
      client_id: "google-client-id.apps.googleusercontent.com",
      client_secret: "google-client-secret-do-not-reveal",
    },
  });
  assert.ok(google.id, "google connection has an id");
  assert.equal(google.strategy, "google-oauth2");
  assert.equal(google.options?.client_secret, undefined, "create does not echo the secret");
  ok(`connections.create google-oauth2 -> ${google.id}`);

  step = "connections.clients.update";
  await management.connections.clients.update(database.id, [
    { client_id: client.client_id, status: true },
  ]);
  ok("connections.clients.update enables the database connection only");

  step = "connections.clients.get (database)";
  const databaseClients = await all(management.connections.clients.get(database.id));
  assert.ok(
    databaseClients.some((c) => c.client_id === client.client_id),
    `database connection lists the client: ${JSON.stringify(databaseClients)}`,
  );
  ok("connections.clients.get(database) lists the client");

  step = "connections.clients.get (google)";
  const googleClients = await all(management.connections.clients.get(google.id));
  assert.ok(
    !googleClients.some((c) => c.client_id === client.client_id),
    `google connection does not list the client: ${JSON.stringify(googleClients)}`,
  );
  ok("connections.clients.get(google) does not list the client");

  step = "connections.list strategy=auth0";
  const databases = await all(management.connections.list({ strategy: ["auth0"] }));
  assert.ok(
    databases.some((c) => c.id === database.id),
    "the database connection is listed",
  );
  assert.ok(
    databases.every((c) => c.strategy === "auth0"),
    `only auth0 connections: ${JSON.stringify(databases.map((c) => c.strategy))}`,
  );
  assert.ok(!databases.some((c) => c.id === google.id), "google is not listed");
  ok(`connections.list({strategy: ["auth0"]}) finds the database connection (${databases.length} total)`);

  step = "connections.get (google)";
  const googleRead = await management.connections.get(google.id);
  assert.equal(googleRead.id, google.id);
  assert.equal(googleRead.options?.client_id, "google-client-id.apps.googleusercontent.com");
  assert.equal(googleRead.options?.client_secret, undefined, "client_secret is not revealed");
  assert.ok(
    !JSON.stringify(googleRead).includes("google-client-secret-do-not-reveal"),
    "the secret appears nowhere in the response",
  );
  ok("connections.get(google) does not reveal client_secret");

  // Beyond the connection checks: the rest of the surface the SDK exposes
  // for the resources vestibule implements.
  step = "clients.list";
  const clients = await all(management.clients.list());
  assert.ok(clients.some((c) => c.client_id === client.client_id), "clients.list finds the client");
  ok(`clients.list pages through ${clients.length} clients and finds the new one`);

  step = "clients.update";
  const renamed = await management.clients.update(client.client_id, { name: `SDK renamed ${suffix}` });
  assert.equal(renamed.name, `SDK renamed ${suffix}`);
  ok("clients.update renames the client");

  step = "clients.rotateSecret";
  const rotated = await management.clients.rotateSecret(client.client_id);
  assert.ok(rotated.client_secret && rotated.client_secret !== client.client_secret, "a new secret");
  ok("clients.rotateSecret returns a new secret");

  step = "resourceServers.create";
  const api = await management.resourceServers.create({
    name: `SDK API ${suffix}`,
    identifier: `https://api-${suffix}.example.test/`,
    scopes: [{ value: "read:things", description: "Read things" }],
  });
  assert.ok(api.id, "resource server has an id");
  ok(`resourceServers.create -> ${api.id}`);

  step = "clientGrants.create";
  const grant = await management.clientGrants.create({
    client_id: client.client_id,
    audience: api.identifier,
    scope: ["read:things"],
  });
  assert.ok(grant.id, "grant has an id");
  step = "clientGrants.list";
  const grants = await all(management.clientGrants.list({ client_id: client.client_id }));
  assert.ok(grants.some((g) => g.id === grant.id), `clientGrants.list finds the grant: ${JSON.stringify(grants)}`);
  ok("clientGrants.create and clientGrants.list({client_id})");

  step = "keys.signing.list";
  const keys = await management.keys.signing.list();
  assert.ok(Array.isArray(keys) && keys.some((k) => k.current), "a current signing key");
  ok(`keys.signing.list shows ${keys.length} keys, current ones among them`);

  step = "jobs.usersImports.create";
  const usersFile = JSON.stringify([
    { email: `ada-${suffix}@example.com`, given_name: "Ada", user_metadata: { plan: "pro" } },
    { email: `grace-${suffix}@example.com`, email_verified: true },
    { email: "not-an-email" },
  ]);
  const importJob = await management.jobs.usersImports.create({
    users: new Blob([usersFile], { type: "application/json" }),
    connection_id: database.id,
    upsert: false,
    external_id: `sdk-${suffix}`,
  });
  assert.equal(importJob.type, "users_import");
  assert.equal(importJob.connection_id, database.id);
  ok(`jobs.usersImports.create -> ${importJob.id} (${importJob.status})`);

  /** Polls jobs.get until the job has finished. */
  async function finished(id) {
    for (let i = 0; i < 300; i++) {
      const job = await management.jobs.get(id);
      if (job.status === "completed" || job.status === "failed") {
        return job;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${id} did not finish`);
  }

  step = "jobs.get (import)";
  const imported = await finished(importJob.id);
  assert.equal(imported.status, "completed", JSON.stringify(imported));
  assert.deepEqual(imported.summary, { failed: 1, updated: 0, inserted: 2, total: 3 });
  ok("jobs.get: the import completed with 2 inserted and 1 failed");

  step = "jobs.errors.get";
  const report = await management.jobs.errors.get(importJob.id);
  assert.ok(Array.isArray(report) && report.length === 1, JSON.stringify(report));
  assert.equal(report[0].user.email, "not-an-email");
  assert.ok(report[0].errors[0].code && report[0].errors[0].message, JSON.stringify(report));
  ok(`jobs.errors.get reports the bad entry (${report[0].errors[0].code})`);

  step = "jobs.usersExports.create";
  const exportJob = await management.jobs.usersExports.create({
    connection_id: database.id,
    format: "json",
    fields: [{ name: "email" }, { name: "user_metadata.plan", export_as: "plan" }],
  });
  assert.equal(exportJob.type, "users_export");
  const exported = await finished(exportJob.id);
  assert.equal(exported.status, "completed", JSON.stringify(exported));
  assert.ok(exported.location.endsWith(`/api/v2/jobs/${exportJob.id}/download`), exported.location);
  ok(`jobs.usersExports.create -> completed, location ${exported.location}`);
  step = "users.identities.link";
  const password = "Corr3ct-Horse-Battery";
  const primary = await management.users.create({
    connection: database.name,
    email: `primary-${suffix}@example.com`,
    password,
  });
  const secondary = await management.users.create({
    connection: database.name,
    email: `secondary-${suffix}@example.com`,
    password,
  });
  const secondaryLocalId = secondary.user_id.split("|")[1];
  const linked = await management.users.identities.link(primary.user_id, {
    provider: "auth0",
    user_id: secondaryLocalId,
    connection_id: database.id,
  });
  assert.deepEqual(
    linked.map((i) => `${i.provider}|${i.user_id}`),
    [primary.user_id, secondary.user_id],
  );
  await assert.rejects(management.users.get(secondary.user_id), (e) => e.statusCode === 404);
  ok("users.identities.link moves the secondary into the primary's identities");

  step = "users.identities.delete";
  const left = await management.users.identities.delete(primary.user_id, "auth0", secondaryLocalId);
  assert.deepEqual(
    left.map((i) => `${i.provider}|${i.user_id}`),
    [primary.user_id],
  );
  const restored = await management.users.get(secondary.user_id);
  assert.equal(restored.user_id, secondary.user_id);
  await management.users.delete(primary.user_id);
  await management.users.delete(secondary.user_id);
  ok("users.identities.delete gives the identity back to a user of its own");

  step = "cleanup";
  await management.clientGrants.delete(grant.id);
  await management.resourceServers.delete(api.id);
  await management.connections.delete(google.id);
  await management.connections.delete(database.id);
  await management.clients.delete(client.client_id);
  await assert.rejects(management.clients.get(client.client_id), (e) => e.statusCode === 404);
  ok("deletes succeed and clients.get of a deleted client is a 404");

  console.log("all SDK checks passed");
}

try {
  await main();
} catch (e) {
  console.error(`FAILED at ${step}: ${e?.message ?? e}`);
  if (e?.statusCode !== undefined) {
    console.error(`statusCode: ${e.statusCode}`);
    console.error(`body: ${JSON.stringify(e.body)}`);
  }
  if (e?.cause) {
    console.error(`cause: ${e.cause?.message ?? e.cause}`);
  }
  if (e?.stack) {
    console.error(e.stack);
  }
  process.exit(1);
}
