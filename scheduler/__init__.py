"""newsmon's command line, configuration, daemon, crawl runner, digest and mailer."""
