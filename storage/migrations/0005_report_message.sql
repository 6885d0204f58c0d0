-- 0005: find the report a chat message made, for an edited message that
-- corrects it. Rows made by buttons or the console have message_id 0 and
-- stay out of the index.
CREATE INDEX reports_message ON reports (chat_id, message_id) WHERE message_id <> 0;
