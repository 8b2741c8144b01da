package handlers_test

import (
	"testing"

	"mashang/configs"
	"mashang/media/mediatest"
	"mashang/store"
	"mashang/store/storetest"
)

// eachStorage runs fn on every database with media in a folder, as
// storetest.Each does, and once more ("s3") on SQLite with media in a
// bucket of a real S3 server (SeaweedFS): every route that writes or serves
// media is the same on both.
func eachStorage(t *testing.T, fn func(t *testing.T, driver string, opts options)) {
	storetest.Each(t, func(t *testing.T, driver string) { fn(t, driver, options{}) })
	for _, kind := range mediatest.Kinds(t) {
		if kind != "s3" {
			continue
		}
		t.Run("s3", func(t *testing.T) {
			weed := mediatest.Shared(t)
			place := weed.Place(t)
			fn(t, store.DriverSQLite, options{configure: func(cfg *configs.Config) {
				cfg.MediaS3 = configs.MediaS3{Endpoint: weed.Endpoint(), Bucket: place.Bucket, Prefix: place.Prefix,
					AccessKey: mediatest.AccessKey, SecretKey: mediatest.SecretKey}
				cfg.MediaDir = "/nonexistent/mashang-media" // nothing may go there
			}})
		})
	}
}
