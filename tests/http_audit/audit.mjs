// The GraphQL-over-HTTP audit of graphql-http, run against a live Credence server.
// Prints one JSON line per audit ({id, name, status, reason}); exits 0 whatever they say, so
// the Python test that runs it reports every failure and warning by name.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
for (const result of results) {
  console.log(JSON.stringify({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? undefined : result.reason,
  }));
}
