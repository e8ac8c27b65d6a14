#!/bin/bash
# The Quiz dock in the real window (core process) under Xvfb: Ctrl+Shift+K shows it, a click
# gives it keyboard focus (Xvfb has no window manager to do that), Space reveals, 3 grades.
# usage: tests/gui/quiz_screenshot.sh ko|en OUTDIR  (PYTHON=the venv python, FIXTURES=fixtures dir)
set -u
LANG_=$1; source "$(dirname "$0")/xvfb_window.sh" "$2" qshot
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
