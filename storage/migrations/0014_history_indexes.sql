-- 0014: indexes that let views, reminders and the digest read only the
-- reports they derive from (planbot.Needed), not every report ever made
-- (issue 15). reports_at finds the first report of a week; reports_share
-- walks a per_owner item's reports by whose share they are, the way
-- planbot.ShareOwner decides it. Indexes rewrite no row, so the
-- immutability triggers of 0001 are untouched.
CREATE INDEX reports_at ON reports (reported_at);
CREATE INDEX reports_share ON reports (item_id, COALESCE(on_behalf_of_id, reporter_id), id);
