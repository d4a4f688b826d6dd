#!/usr/bin/env node
// Checks and installs what the test suite needs (see README).
