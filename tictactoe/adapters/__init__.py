"""The world outside the tables: boto3 clients, the S3 bucket, SSM, Pillow, archive files."""
