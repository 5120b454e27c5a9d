// Starts @vercel/cosmosdb-server with one fix: a point read of an id that is not in the given partition
// crashes its handler (TypeError -> HTTP 500) where real Cosmos DB answers 404 NotFound. We wrap that one
// handler before the router captures it, so the app's code is tested against real Cosmos behaviour.
// Usage: node cosmos_server_shim.js <package dir> <port>
"use strict";
const path = require("path");
const [pkgDir, port] = process.argv.slice(2);
const lib = (name) => require(path.join(pkgDir, "lib", name));

const readDocument = lib("handler/read-document");
const { parsePartitionKey, default: getPartitionFromHeader } = lib("utils/get-partition-from-header");
const original = readDocument.default;
readDocument.default = (account, req, res, params) => {
  const collection = account.database(params.dbId).collection(params.collId);
  if (collection.read()) {
    const header = getPartitionFromHeader(req);
    if (header !== undefined) {
      let exists = true;
      try {
        exists = Boolean(collection.document(params.docId, parsePartitionKey(header, params.docId)).read());
      } catch (err) {
        exists = false;
      }
      if (!exists) {
        res.statusCode = 404;
        return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
      }
    }
  }
  return original(account, req, res, params);
};

const { createHttpsServer } = lib("index");
// keepAlive (a server option) as real Cosmos does: a TLS handshake per request made the suite 3x slower.
const server = createHttpsServer({ keepAlive: true }).listen(Number(port), "127.0.0.1", () => {
  console.log(`Ready to accept HTTPS connections at 127.0.0.1:${server.address().port}`);
});
