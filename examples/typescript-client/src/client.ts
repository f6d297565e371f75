// A minimal typed client: operations typed by GraphQL Code Generator, sent with fetch over
// HTTP and graphql-ws over WebSockets. Copy it into a front-end and grow it from there.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A GraphQL error as the server writes it: every one has `extensions.code`. */
export interface ServerError {
  message: string;
  extensions?: { code?: string };
}

export class GraphQLRequestError extends Error {
  constructor(readonly errors: ServerError[]) {
    super(errors.map((e) => `${e.extensions?.code ?? '?'}: ${e.message}`).join('; '));
  }
}

export class FupinClient {
  constructor(
    readonly baseUrl: string,
    private token?: string,
  ) {}

  signedIn(token: string): FupinClient {
    return new FupinClient(this.baseUrl, token);
  }

  /** Runs a query or mutation; throws on any top-level error. */
  async request<Result, Variables>(
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
  ): Promise<Result> {
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as { data?: Result; errors?: ServerError[] };
    if (body.errors?.length || body.data === undefined) {
      throw new GraphQLRequestError(body.errors ?? [{ message: `HTTP ${response.status}` }]);
    }
    return body.data;
  }

  /** A subscription client for `/graphql/ws`, signed in when it connects. */
  subscriptions(): Client {
    const url = this.baseUrl.replace(/^http/, 'ws') + '/graphql/ws';
    const token = this.token;
    return createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    });
  }

  /** Subscribes to `document`, calling `next` with each typed event; returns the unsubscribe. */
  subscribe<Result, Variables extends Record<string, unknown>>(
    client: Client,
    document: TypedDocumentNode<Result, Variables>,
    variables: Variables,
    next: (data: Result) => void,
    error: (e: unknown) => void,
  ): () => void {
    return client.subscribe<Result>(
      { query: print(document), variables },
      {
        next: (value) => {
          if (value.errors?.length) error(new GraphQLRequestError([...value.errors] as ServerError[]));
          else if (value.data) next(value.data);
        },
        error,
        complete: () => {},
      },
    );
  }
}
