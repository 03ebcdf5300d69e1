"""S3: ``s3://`` paths, blocking reads and writes through boto3, and the embedded S3 endpoint."""
