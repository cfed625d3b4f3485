// The shape of a SQL-over-HTTP body, apart from the code that runs it: `BranchData` (public, for
// simulations) names it, and its declarations must not pull PGlite's types into a consumer's build.

/** One statement as `@neondatabase/serverless`'s `neon()` sends it over HTTP. */
export interface HttpQuery {
  query: string;
  params?: (string | null)[];
}

/** A `POST /sql` body: one statement, or several run as one transaction. */
export type HttpQueryBody = HttpQuery | { queries: HttpQuery[] };
