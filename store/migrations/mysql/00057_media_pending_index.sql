-- The media fetcher's list of photos, voices and videos still to fetch
-- from WeChat read every message of the database on MySQL (issue 20, a
-- province's day). The index of 00005 began with media_path, empty for
-- every text as for a photo not fetched yet, and MySQL has no partial
-- index (SQLite's answers WHERE media_id <> ''): MariaDB walked the
-- messages by their key until it had found the page, 59,979 rows read to
-- list 50, and every photo a citizen sends wakes the fetcher of its
-- instance. In a province's morning that was 14 million rows read a
-- minute, a query of 100-300 ms each time. With the message's type
-- second, the range media_path = '' AND msg_type IN (the media types)
-- AND media_attempts < the limit holds only what waits to be fetched.

-- +goose Up
ALTER TABLE inbound_messages DROP KEY inbound_messages_media,
    ADD KEY inbound_messages_media (media_path(1), msg_type, media_attempts);

-- +goose Down
ALTER TABLE inbound_messages DROP KEY inbound_messages_media,
    ADD KEY inbound_messages_media (media_path(1), media_attempts);
