#!/usr/bin/env bash
# The external-edit scenario of issue 9 against the real window: type into the open note with
# xdotool while another program writes the same file, then check that nothing was lost.
#
#   Xvfb :99 -screen 0 1400x900x24 &
#   DISPLAY=:99 tests/gui/real_window_external_edit.sh [append|rename] [en|ko]
#
# append: `printf >>` (an in-place write); rename: read, add a line, write a temp file and
# rename it over the note (how sync clients and many editors save). Needs xdotool. Prints
# "lost=0" when every typed word is in the note or a conflict copy and every outside line is
# in the note. Uses a temporary STUDYLOG_HOME and vault; touches nothing else.
set -u
mode=${1:-append}
lang=${2:-en}
python=${PYTHON:-python}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
mkdir -p "$work/home" "$work/vault"
note="$work/vault/$(date +%F).md"
printf -- '---\ndate: %s\n---\n# external edit\n- ' "$(date +%F)" > "$note"

cd "$repo"
STUDYLOG_HOME="$work/home" STUDYLOG_UI_LANGUAGE="$lang" PYTHONPATH="$repo" \
  "$python" -m studylog gui --vault "$work/vault" >"$work/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null' EXIT
wid=""
for _ in $(seq 1 60); do
  wid=$(xdotool search --onlyvisible --name "StudyLog" 2>/dev/null | head -1)
  [ -n "$wid" ] && break
  sleep 0.5
done
[ -n "$wid" ] || { echo "the window did not appear"; exit 2; }
sleep 4
xdotool mousemove --window "$wid" 600 700 click 1
sleep 0.3
xdotool key --window "$wid" ctrl+End

outside() {
  for i in $(seq -w 1 12); do
    sleep 0.45
    if [ "$mode" = rename ]; then
      "$python" -c 'import os, sys
p = sys.argv[1]
text = open(p, encoding="utf-8").read() + "\n- outside line " + sys.argv[2]
open(p + ".tmp~", "w", encoding="utf-8").write(text)
os.replace(p + ".tmp~", p)' "$note" "$i"
    else
      printf '\n- outside line %s' "$i" >> "$note"
    fi
  done
}
outside &
writer=$!
words=""
for i in $(seq -w 1 40); do words="$words typed$i"; done
xdotool type --delay 70 "$words"
wait $writer
sleep 5

cat "$work"/vault/*.md > "$work/all.txt"
lost=0
for i in $(seq -w 1 40); do grep -q "typed$i" "$work/all.txt" || { echo "lost typed$i"; lost=1; }; done
for i in $(seq -w 1 12); do grep -q "outside line $i" "$note" || { echo "outside line $i is not in the note"; lost=1; }; done
echo "mode=$mode copies=$(ls "$work/vault" | grep -c 'conflict') lost=$lost (files in $work/vault)"
exit $lost
