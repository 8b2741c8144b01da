package media

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"mashang"
)

// S3Config says where an S3-compatible object store keeps media
// (MASHANG_MEDIA_S3_*).
type S3Config struct {
	// Endpoint is the store's address: http(s)://host[:port].
	Endpoint string
	Bucket   string
	// Region is the bucket's region ("" lets the store say).
	Region string
	// Prefix goes before every key, for a bucket shared with other systems.
	Prefix               string
	AccessKey, SecretKey string
	// CAPEM, when given, is the certificate authority (PEM) the store's
	// TLS certificate is checked against: a data centre's own CA.
	CAPEM []byte
	// Timeout bounds each request that is not a file's body being read.
	Timeout time.Duration
}

// S3 keeps media in a bucket of an S3-compatible object store. Nothing in
// it is public and no pre-signed URL is ever made: every download goes
// through Mashang's own authorised routes, read from the store as it is
// sent.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

// metaSHA256 is the user metadata (x-amz-meta-sha256) that keeps a file's
// digest beside it: S3's ETag is an MD5 only for single-part uploads, and
// not every store makes it so.
const metaSHA256 = "Sha256"

// NewS3 makes the client; it does not reach the store, so an instance
// starts (and takes WeChat's pushes) while the store is down.
func NewS3(cfg S3Config) (*S3, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("endpoint %q is not http(s)://host[:port]", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("no bucket")
	}
	transport, err := minio.DefaultTransport(u.Scheme == "https")
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	transport.ResponseHeaderTimeout = cfg.Timeout
	if len(cfg.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CAPEM) {
			return nil, errors.New("the CA file holds no PEM certificate")
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: u.Scheme == "https", Region: cfg.Region, Transport: transport,
		// Path-style requests work with every store a data centre runs;
		// virtual hosts need DNS for each bucket.
		BucketLookup: minio.BucketLookupPath,
		// A few quick retries: the fetcher retries later by itself, and a
		// citizen uploading a photo should hear soon that it failed.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, err
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3{client: client, bucket: cfg.Bucket, prefix: prefix}, nil
}

// Check reaches the bucket: it says whether the store answers and the
// bucket exists, for start-up and for `mashang media`.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("reach bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("bucket %s does not exist: create it (private, no public access) first", s.bucket)
	}
	return nil
}

func (s *S3) name(key string) (string, error) {
	if !mashang.ValidMediaKey(key) {
		return "", fmt.Errorf("media key %q: %w", key, fs.ErrNotExist)
	}
	return s.prefix + key, nil
}

// Put uploads r. A store keeps an object whole or not at all; the digest
// goes with it as user metadata.
func (s *S3) Put(ctx context.Context, o mashang.MediaObject, r io.Reader) error {
	name, err := s.name(o.Key)
	if err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: o.ContentType}
	if opts.ContentType == "" {
		opts.ContentType = contentType(o.Key)
	}
	if o.SHA256 != "" {
		opts.UserMetadata = map[string]string{metaSHA256: o.SHA256}
	}
	info, err := s.client.PutObject(ctx, s.bucket, name, r, o.Size, opts)
	if err != nil {
		return fmt.Errorf("put %s: %w", o.Key, err)
	}
	if o.Size >= 0 && info.Size != o.Size {
		return fmt.Errorf("put %s: %d bytes stored, %d expected", o.Key, info.Size, o.Size)
	}
	return nil
}

// Open starts reading the object: the body streams from the store as it is
// read, and a seek (a range request) asks the store for that range.
func (s *S3) Open(ctx context.Context, key string) (io.ReadSeekCloser, mashang.MediaObject, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, mashang.MediaObject{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, mashang.MediaObject{}, s.fail("open", key, err)
	}
	info, err := obj.Stat() // the first request: its headers, the body kept open
	if err != nil {
		obj.Close()
		return nil, mashang.MediaObject{}, s.fail("open", key, err)
	}
	return &s3Object{obj: obj, size: info.Size}, s.object(key, info), nil
}

// s3Object reads an S3 object, seeking lazily: http.ServeContent seeks to
// the end to learn the size and back to the start before it reads, which
// would otherwise cost the store a second GET; only a read at another
// offset than the stream's asks for a range.
type s3Object struct {
	obj           *minio.Object
	size, off, at int64 // at: where the open stream stands
}

func (o *s3Object) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += o.off
	case io.SeekEnd:
		offset += o.size
	}
	if offset < 0 {
		return 0, errors.New("seek before the start")
	}
	o.off = offset
	return offset, nil
}

func (o *s3Object) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.off != o.at {
		if _, err := o.obj.Seek(o.off, io.SeekStart); err != nil {
			return 0, err
		}
		o.at = o.off
	}
	n, err := o.obj.Read(p)
	o.off += int64(n)
	o.at = o.off
	return n, err
}

func (o *s3Object) Close() error { return o.obj.Close() }

// Stat asks for the object's headers.
func (s *S3) Stat(ctx context.Context, key string) (mashang.MediaObject, error) {
	name, err := s.name(key)
	if err != nil {
		return mashang.MediaObject{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return mashang.MediaObject{}, s.fail("stat", key, err)
	}
	return s.object(key, info), nil
}

// Delete removes the object; S3 answers a missing one as deleted.
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return s.fail("delete", key, err)
	}
	return nil
}

// List lists the objects under the prefix, a page at a time. A listing
// carries no user metadata on every store, so SHA256 is "" here: Stat
// gives it.
func (s *S3) List(ctx context.Context, prefix string, fn func(mashang.MediaObject) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the listing if fn stops early
	for info := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if info.Err != nil {
			return fmt.Errorf("list %s: %w", prefix, info.Err)
		}
		key := strings.TrimPrefix(info.Key, s.prefix)
		if !mashang.ValidMediaKey(key) {
			continue
		}
		if err := fn(mashang.MediaObject{Key: key, Size: info.Size, ContentType: contentType(key)}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// object describes what the store said of key. The content type is the
// key's extension's, as the folder's is: the extension is ours, chosen when
// the file was kept; what the store (or WeChat before it) says is not
// served to anyone.
func (s *S3) object(key string, info minio.ObjectInfo) mashang.MediaObject {
	o := mashang.MediaObject{Key: key, Size: info.Size, ContentType: contentType(key)}
	for k, v := range info.UserMetadata {
		if strings.EqualFold(k, metaSHA256) {
			o.SHA256 = v
		}
	}
	return o
}

// fail names the operation and key; a missing object wraps fs.ErrNotExist,
// as a missing file does.
func (s *S3) fail(op, key string, err error) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return fmt.Errorf("%s %s: %w", op, key, errors.Join(fs.ErrNotExist, err))
	}
	if resp := minio.ToErrorResponse(err); resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket {
		return fmt.Errorf("%s %s: %w", op, key, errors.Join(fs.ErrNotExist, err))
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}
