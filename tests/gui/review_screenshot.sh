#!/bin/bash
# The Review dock in the real window (core process, the configured model) under Xvfb:
# Ctrl+Shift+W opens it for the selected day's week, a click on "Write review" starts it, and
# the screen is taken once the review is done (WAIT seconds, default 150).
# usage: tests/gui/review_screenshot.sh ko|en OUTDIR [WRITE_X WRITE_Y]
#   (PYTHON=the venv python, FIXTURES=fixtures dir, MODELS=a converted model cache to link)
set -u
LANG_=$1; source "$(dirname "$0")/xvfb_window.sh" "$2" rshot
xdotool key --window $WID ctrl+shift+w
sleep 3
import -window root $OUT/review-$LANG_-open.png
if [ $# -ge 4 ]; then
  xdotool mousemove $3 $4 click 1
  sleep 20
  import -window root $OUT/review-$LANG_-streaming.png
  sleep ${WAIT:-150}
  import -window root $OUT/review-$LANG_-done.png
fi
kill $APID; sleep 2; kill $XPID
