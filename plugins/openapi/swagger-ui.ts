// A Swagger UI page that loads the spec from `specUrl`; assets from the swagger-ui-dist CDN
// (SWAGGER_UI_ASSETS_BASE_URL overrides it for air-gapped installs, as upstream).

export function swaggerUiPage(title: string, specUrl: string): string {
  const base = (process.env.SWAGGER_UI_ASSETS_BASE_URL || 'https://unpkg.com/swagger-ui-dist@5').replace(/\/+$/, '');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="${escapeHtml(base)}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${escapeHtml(base)}/swagger-ui-bundle.js"></script>
  <script>
    SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#swagger-ui' });
  </script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
