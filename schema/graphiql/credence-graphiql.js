// Starts GraphiQL on this service's endpoint with the page's example query. A file of its own
// (not an inline script) so the page's Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var container = document.getElementById("graphiql");
  var endpoint = new URL(container.dataset.endpoint, window.location.href);
  // Subscriptions go over WebSocket (graphql-transport-ws) to the same path; the headers tab's
  // headers travel as connection_init's payload, where the service reads `Authorization`.
  var subscriptions = new URL(endpoint.href);
  subscriptions.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: subscriptions.href,
    // Ask for the GraphQL-over-HTTP media type; nothing here streams.
    headers: { accept: "application/graphql-response+json, application/json" },
    enableIncrementalDelivery: false,
  });
  var example = document.getElementById("example-query").textContent.trim() + "\n";
  var props = {
    fetcher: fetcher,
    defaultQuery: example,
    defaultEditorToolsVisibility: false,
    // The headers tab sends its headers with every request: where a token goes,
    // {"Authorization": "Bearer <token>"}. Kept for the page's life only, never in storage.
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  };
  // A link such as /graphql?query=...&variables=... (the GET form of a request) opens GraphiQL
  // with that query and its variables filled in, so a query can be shared as a URL.
  var params = new URLSearchParams(window.location.search);
  var query = params.get("query");
  if (query !== null) {
    props.query = query;
    var variables = params.get("variables");
    if (variables !== null) {
      props.variables = pretty(variables);
    }
    if (params.get("operationName")) {
      props.operationName = params.get("operationName");
    }
    // The query declares variables (or the link brings some): show the pane that holds them.
    if (variables !== null || /\$[_A-Za-z]/.test(query)) {
      props.defaultEditorToolsVisibility = "variables";
    }
  }
  ReactDOM.createRoot(container).render(React.createElement(GraphiQL, props));

  function pretty(json) {
    try {
      return JSON.stringify(JSON.parse(json), null, 2);
    } catch (error) {
      return json; // shown as sent: GraphiQL points at what is wrong with it
    }
  }
})();
