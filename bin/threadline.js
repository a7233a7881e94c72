#!/usr/bin/env node
import '../lib/grader/commands/cli.js';
