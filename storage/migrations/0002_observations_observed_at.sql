-- 0002: LatestObservations selects by observed_at across all indicators.
CREATE INDEX observations_observed ON observations (observed_at);
