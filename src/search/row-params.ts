/**
 * Search parameters answered from the resource row itself rather than the index tables,
 * with the column each reads: not indexed at write time, always supported, sortable.
 */
export const rowParams: Readonly<Record<string, string>> = { _id: 'r.id', _lastUpdated: 'r.last_updated' };

export const isRowParam = (code: string | undefined): boolean => !!code && Object.hasOwn(rowParams, code);
