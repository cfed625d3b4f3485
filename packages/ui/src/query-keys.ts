/** The versions query of one provider's project (scoped by the handler's URL). */
export const versionsKey = (scope: string) => ['rewind', scope, 'versions'] as const;
