export interface PageRequest {
  /** 1-based page number. */
  page: number;
  size: number;
}

export interface Page<T> {
  items: T[];
  page: number;
  size: number;
  totalItems: number;
  totalPages: number;
}

export function pageOf<T>(items: T[], request: PageRequest, totalItems: number): Page<T> {
  return {
    items,
    page: request.page,
    size: request.size,
    totalItems,
    totalPages: Math.ceil(totalItems / request.size),
  };
}

export function offsetOf(request: PageRequest): number {
  return (request.page - 1) * request.size;
}
