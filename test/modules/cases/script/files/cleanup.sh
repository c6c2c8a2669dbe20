#!/bin/sh
rm -rf /var/tmp/old-cache
