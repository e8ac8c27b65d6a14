#!/bin/bash
# The Quiz dock in the real window (core process) under Xvfb: Ctrl+Shift+K shows it, a click
# gives it keyboard focus (Xvfb has no window manager to do that), Space reveals, 3 grades.
# usage: tests/gui/quiz_screenshot.sh ko|en OUTDIR  (PYTHON=the venv python, FIXTURES=fixtures dir)
set -u
LANG_=$1; mkdir -p "$2"; OUT=$(cd "$2" && pwd)
export STUDYLOG_HOME=$(mktemp -d /tmp/qshot-home.XXXX)
VAULT=$(mktemp -d /tmp/qshot-vault.XXXX); HERE=$(cd "$(dirname "$0")" && pwd)
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
xdotool key --window $WID ctrl+shift+k
sleep 4
import -window root $OUT/quiz-$LANG_-question.png
xdotool mousemove 1250 500 click 1; sleep 0.5; xdotool key --window $WID space
sleep 1
import -window root $OUT/quiz-$LANG_-answer.png
xdotool key --window $WID 3
sleep 2
import -window root $OUT/quiz-$LANG_-next.png
kill $APID; sleep 2; kill $XPID
