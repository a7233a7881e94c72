#!/usr/bin/env node
import '../lib/grader/cli.js';
