// Starts Swagger UI on /docs. A file of its own: the Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null  // the validator badge would fetch from validator.swagger.io
  });
})();
