#!/bin/bash
# The Review dock in the real window (core process, the configured model) under Xvfb:
# Ctrl+Shift+W opens it for the selected day's week, a click on "Write review" starts it, and
# the screen is taken once the review is done (WAIT seconds, default 150).
# usage: tests/gui/review_screenshot.sh ko|en OUTDIR [WRITE_X WRITE_Y]
#   (PYTHON=the venv python, FIXTURES=fixtures dir, MODELS=a converted model cache to link)
set -u
LANG_=$1; mkdir -p "$2"; OUT=$(cd "$2" && pwd)
export STUDYLOG_HOME=$(mktemp -d /tmp/rshot-home.XXXX)
[ -n "${MODELS:-}" ] && ln -s "$MODELS" $STUDYLOG_HOME/models
VAULT=$(mktemp -d /tmp/rshot-vault.XXXX); HERE=$(cd "$(dirname "$0")" && pwd)
cp -r "${FIXTURES:-$HERE/../../../shared/fixtures}/vault/." $VAULT/
cat > $STUDYLOG_HOME/settings.toml <<T
schema_version = 1
ui_language = "$LANG_"
theme = "light"
T
cd "$HERE/../.."
DISP=:$((90 + RANDOM % 9))
Xvfb $DISP -screen 0 1440x900x24 >/dev/null 2>&1 & XPID=$!
sleep 1
export DISPLAY=$DISP
PYTHONPATH=$PWD ${PYTHON:-python} -m studylog gui --vault $VAULT > $OUT/app-$LANG_.log 2>&1 & APID=$!
sleep 14
WID=$(xdotool search --name StudyLog | head -1)
xdotool windowsize $WID 1440 900; xdotool windowmove $WID 0 0; xdotool windowactivate $WID 2>/dev/null; xdotool windowfocus $WID
sleep 1
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
