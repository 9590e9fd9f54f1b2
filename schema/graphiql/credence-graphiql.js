// Starts GraphiQL on this service's endpoint with the page's example query. A file of its own
// (not an inline script) so the page's Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var container = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({
    url: new URL(container.dataset.endpoint, window.location.href).href,
    // Ask for the GraphQL-over-HTTP media type; nothing here streams.
    headers: { accept: "application/graphql-response+json, application/json" },
    enableIncrementalDelivery: false,
  });
  var example = document.getElementById("example-query").textContent.trim() + "\n";
  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: example,
      defaultEditorToolsVisibility: false,
    })
  );
})();
