package app

import (
	"crypto/x509"
	"os"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/media"
)

// NewMediaFiles opens where media is kept: the object store when
// MASHANG_MEDIA_S3_ENDPOINT is set, else the folder MASHANG_MEDIA_DIR. The
// store is not reached here: an instance starts, and takes WeChat's pushes,
// while it is down; the fetcher keeps trying (`mashang media check` asks it).
func NewMediaFiles(cfg configs.Config) (mashang.MediaFiles, error) {
	s := cfg.MediaS3
	if s.Endpoint == "" {
		return media.NewDir(cfg.MediaDir), nil
	}
	var ca []byte
	if s.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(s.CAFile); err != nil {
			return nil, &configs.SettingError{Setting: "MASHANG_MEDIA_S3_CA_FILE", Problem: err.Error()}
		}
		if !x509.NewCertPool().AppendCertsFromPEM(ca) {
			return nil, &configs.SettingError{Setting: "MASHANG_MEDIA_S3_CA_FILE", Problem: s.CAFile + " holds no PEM certificate"}
		}
	}
	files, err := media.NewS3(media.S3Config{Endpoint: s.Endpoint, Bucket: s.Bucket, Region: s.Region, Prefix: s.Prefix,
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, CAPEM: ca, Timeout: 30 * time.Second})
	if err != nil {
		return nil, &configs.SettingError{Setting: "MASHANG_MEDIA_S3_ENDPOINT", Problem: err.Error()}
	}
	return files, nil
}

// localMediaDir is the folder readiness checks: none when media is in an
// object store.
func localMediaDir(cfg configs.Config) string {
	if cfg.MediaS3.Endpoint != "" {
		return ""
	}
	return cfg.MediaDir
}
