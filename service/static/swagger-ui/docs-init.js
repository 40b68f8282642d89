// The service's own document only: no ?url= / ?configUrl= from the address bar (queryConfigEnabled false, no
// configUrl), no top bar to type another URL into (BaseLayout), a file so the page's CSP needs no inline script.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/docs/swagger.json",
    dom_id: "#swagger-ui",
    queryConfigEnabled: false,
    deepLinking: false,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    validatorUrl: null,
  });
});
