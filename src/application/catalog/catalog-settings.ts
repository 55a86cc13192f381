export interface CatalogSettings {
  lowStockThreshold: number;
  /** How long a cached product or list page may be served; changes invalidate it at once anyway. */
  cacheTtlSeconds: number;
}
