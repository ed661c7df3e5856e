// Etsy statsd backend for the benchmark: adds up every flush's counters and timer counts of the
// load's series and writes the total number of lines received to COUNT_FILE.
const fs = require('fs');
let total = 0;
exports.init = function (startup, config, events) {
  events.on('flush', function (ts, metrics) {
    total += (metrics.counters['peer.c'] || 0) + (metrics.timer_counters['peer.t'] || 0);
    fs.writeFileSync(process.env.COUNT_FILE, String(total));
  });
  return true;
};
