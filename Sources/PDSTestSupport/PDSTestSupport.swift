// A server test imports this module alone: the Foundation-level fixtures and the S3 test server come with it.
@_exported import BlobStoreTestSupport
@_exported import TestFixtures
