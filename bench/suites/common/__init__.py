"""What several suites share: browsers, a page played over HTTP and streams, the login flooder."""
