// GraphiQL for fupin-market: queries and mutations over POST /graphql, subscriptions over
// /graphql/ws (graphql-transport-ws), both signed in with the Authorization header from the
// headers editor. No inline script, so the page's Content-Security-Policy allows only 'self'.
(function () {
  'use strict';
  var HEADERS_KEY = 'graphiql:headers';
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';

  function editorHeaders() {
    try {
      var parsed = JSON.parse(localStorage.getItem(HEADERS_KEY) || '{}');
      return parsed && typeof parsed === 'object' ? parsed : {};
    } catch (e) {
      return {};
    }
  }

  // The placeholder `Bearer ` (no token yet) is as good as no header: it is not sent.
  function token(value) {
    return typeof value === 'string' && /^Bearer\s+\S/.test(value.trim()) ? value.trim() : null;
  }

  var send = GraphiQL.createFetcher({
    url: '/graphql',
    subscriptionUrl: wsUrl,
    // The socket signs in once, when it connects, with the headers editor's token.
    wsConnectionParams: function () {
      var headers = editorHeaders();
      var auth = token(headers.Authorization || headers.authorization);
      return auth ? { authorization: auth } : {};
    },
  });

  function fetcher(params, options) {
    var headers = Object.assign({}, (options && options.headers) || {});
    Object.keys(headers).forEach(function (name) {
      if (name.toLowerCase() === 'authorization' && !token(headers[name])) {
        delete headers[name];
      }
    });
    return send(params, Object.assign({}, options, { headers: headers }));
  }

  var defaultQuery = [
    '# 演示账号的密码都是 fupin-demo-2026（仅限本地）。先登录，',
    '# 再把 accessToken 填进下方 Headers 里的 Authorization。',
    '# Demo accounts share the password fupin-demo-2026 (local use only): sign in,',
    '# then put the accessToken into Authorization under Headers below.',
    'mutation SignIn {',
    '  login(input: {username: "sjz-canteen", password: "fupin-demo-2026"}) {',
    '    accessToken',
    '  }',
    '}',
    '',
    'query Catalogue {',
    '  products(first: 5, filter: {text: "红薯"}) {',
    '    totalCount',
    '    nodes { name price unit certified producer { name } }',
    '  }',
    '}',
    '',
  ].join('\n');

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultHeaders: '{\n  "Authorization": "Bearer "\n}',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: 'headers',
    })
  );
})();
