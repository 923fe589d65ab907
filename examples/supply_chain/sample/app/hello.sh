#!/bin/sh
echo hello from a verified image
