make "$1" && touch /opt/app/built
